package dev.dwjava.eval.coco;

import dev.dwjava.data.coco.CocoJson;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.IntStream;

/**
 * COCO bbox evaluation with exactly the semantics of pycocotools' {@code COCOeval(gt, dt, 'bbox')} followed by
 * {@code evaluate(); accumulate(); summarize()}:
 * <ul>
 *   <li>results are loaded as {@code loadRes} does: area = w·h, ids 1..N in file order, not crowd;</li>
 *   <li>per (image, category): detections sorted by score with a stable sort and cut to the largest maxDets (100);
 *       GTs with {@code iscrowd} are ignored, and any GT outside the area range (by its {@code area} field) too;</li>
 *   <li>greedy matching per IoU threshold with pycocotools' loop rules (crowd GTs can match many detections and use
 *       union = detection area; a match on an ignored GT only when no regular GT qualifies);</li>
 *   <li>unmatched detections outside the area range are ignored;</li>
 *   <li>accumulation over images with a stable sort of scores, interpolated precision at 101 recall thresholds found
 *       with {@code searchsorted(side='left')}; −1 where a category or area has no GT.</li>
 * </ul>
 * Precision and recall are in [0, 1] like pycocotools; −1 means "no ground truth".
 */
public final class CocoEval {
    /** IoU thresholds 0.50:0.05:0.95, computed as {@code np.linspace} does. */
    static final double[] IOU_THRS = linspace(0.5, 0.95, 10);
    /** Recall thresholds 0:0.01:1 (101), as {@code np.linspace}. */
    static final double[] REC_THRS = linspace(0.0, 1.0, 101);
    static final int[] MAX_DETS = {1, 10, 100};
    static final double[][] AREA_RNG = {{0, 1e10}, {0, 32 * 32}, {32 * 32, 96 * 96}, {96 * 96, 1e10}};
    static final String[] AREA_NAMES = {"all", "small", "medium", "large"};

    private final CocoJson.Instances gt;
    private final List<CocoJson.Result> dt;
    private final double[] iouThrs;
    private final boolean honourIgnore;

    public CocoEval(CocoJson.Instances gt, List<CocoJson.Result> dt) {
        this(gt, dt, IOU_THRS, false);
    }

    /**
     * For the error analysis ({@link CocoAnalysis}): other IoU thresholds, and GTs whose {@code ignore} flag is set are
     * ignored as crowds are (without the crowd IoU), as the COCO Matlab API's {@code analyze()} does. pycocotools itself
     * overwrites {@code ignore} with {@code iscrowd}, which the public constructor follows.
     */
    CocoEval(CocoJson.Instances gt, List<CocoJson.Result> dt, double[] iouThrs, boolean honourIgnore) {
        this.gt = gt;
        this.dt = dt;
        this.iouThrs = iouThrs.clone();
        this.honourIgnore = honourIgnore;
    }

    /** Runs evaluate + accumulate; the result holds the 12 summary numbers and the full arrays. */
    public CocoEvalResult run() {
        long[] imgIds = gt.images().stream().mapToLong(CocoJson.Image::id).distinct().sorted().toArray();
        long[] catIds = gt.categories().stream().mapToLong(CocoJson.Category::id).distinct().sorted().toArray();
        checkResults(imgIds, catIds);
        Map<Long, Integer> imgIndex = index(imgIds), catIndex = index(catIds);
        int nI = imgIds.length, nK = catIds.length;
        List<List<Gt>> gts = new ArrayList<>();
        List<List<Det>> dts = new ArrayList<>();
        for (int i = 0; i < nI * nK; i++) {
            gts.add(new ArrayList<>());
            dts.add(new ArrayList<>());
        }
        for (CocoJson.Annotation a : gt.annotations()) {
            Integer ii = imgIndex.get(a.imageId()), kk = catIndex.get(a.categoryId());
            if (ii != null && kk != null) {
                gts.get(kk * nI + ii).add(new Gt(a.id(), a.x(), a.y(), a.w(), a.h(), a.area(), a.crowd(),
                        a.crowd() || honourIgnore && a.ignore()));
            }
        }
        long nextId = 1;
        for (CocoJson.Result r : dt) {
            int cell = catIndex.get(r.categoryId()) * nI + imgIndex.get(r.imageId());
            dts.get(cell).add(new Det(nextId++, r.x(), r.y(), r.w(), r.h(), r.w() * r.h(), r.score()));
        }
        // evaluateImg for every (category, area, image) with maxDet = 100, in parallel over cells.
        int nA = AREA_RNG.length;
        ImageEval[][] evals = new ImageEval[nK * nI][];
        IntStream.range(0, nK * nI).parallel().forEach(cell -> evals[cell] = evaluateCell(gts.get(cell), dts.get(cell), iouThrs));
        return accumulate(evals, nK, nI, nA, catIds);
    }

    void checkResults(long[] imgIds, long[] catIds) {
        Set<Long> imgs = new HashSet<>(), cats = new HashSet<>();
        for (long i : imgIds) {
            imgs.add(i);
        }
        for (long c : catIds) {
            cats.add(c);
        }
        Set<Long> badImgs = new TreeSet<>(), badCats = new TreeSet<>();
        for (CocoJson.Result r : dt) {
            if (!imgs.contains(r.imageId())) {
                badImgs.add(r.imageId());
            }
            if (!cats.contains(r.categoryId())) {
                badCats.add(r.categoryId());
            }
        }
        if (!badImgs.isEmpty()) {
            throw new IllegalArgumentException("results refer to " + badImgs.size() + " image ids that are not in the "
                    + "ground truth, e.g. " + badImgs.stream().limit(5).toList() + " (pycocotools refuses these too)");
        }
        if (!badCats.isEmpty()) {
            throw new IllegalArgumentException("results refer to category ids that are not in the ground truth: "
                    + badCats.stream().limit(10).toList());
        }
    }

    record Gt(long id, double x, double y, double w, double h, double area, boolean crowd, boolean ignore) {}

    record Det(long id, double x, double y, double w, double h, double area, double score) {}

    /** evaluateImg of one (category, image) for all area ranges, or null per area when there is nothing. */
    private static ImageEval[] evaluateCell(List<Gt> gtList, List<Det> dtList, double[] iouThrs) {
        if (gtList.isEmpty() && dtList.isEmpty()) {
            return null;
        }
        // computeIoU: detections by score (stable), cut to maxDets[-1].
        Det[] d = dtList.toArray(new Det[0]);
        Arrays.sort(d, (a, b) -> Double.compare(b.score(), a.score()));
        int maxDet = MAX_DETS[MAX_DETS.length - 1];
        if (d.length > maxDet) {
            d = Arrays.copyOf(d, maxDet);
        }
        Gt[] g = gtList.toArray(new Gt[0]);
        double[][] ious = new double[d.length][g.length];
        for (int i = 0; i < d.length; i++) {
            for (int j = 0; j < g.length; j++) {
                ious[i][j] = iou(d[i], g[j]);
            }
        }
        ImageEval[] out = new ImageEval[AREA_RNG.length];
        for (int a = 0; a < AREA_RNG.length; a++) {
            out[a] = evaluateImg(g, d, ious, AREA_RNG[a], iouThrs);
        }
        return out;
    }

    /** pycocotools' box IoU: xywh boxes, no +1; for a crowd GT the union is the detection's area. */
    static double iou(Det d, Gt g) {
        double w = Math.min(d.x() + d.w(), g.x() + g.w()) - Math.max(d.x(), g.x());
        if (w <= 0) {
            return 0;
        }
        double h = Math.min(d.y() + d.h(), g.y() + g.h()) - Math.max(d.y(), g.y());
        if (h <= 0) {
            return 0;
        }
        double inter = w * h;
        double union = g.crowd() ? d.w() * d.h() : d.w() * d.h() + g.w() * g.h() - inter;
        return inter / union;
    }

    /** What evaluateImg returns: per threshold, detection matches and ignore flags (detections sorted by score). */
    record ImageEval(double[] dtScores, boolean[][] dtMatched, boolean[][] dtIgnore, int numGtNotIgnored) {}

    private static ImageEval evaluateImg(Gt[] gAll, Det[] dSorted, double[][] iousAll, double[] rng, double[] iouThrs) {
        int G = gAll.length, D = dSorted.length, T = iouThrs.length;
        // GTs: ignore = crowd or outside the area range; non-ignored first (stable).
        boolean[] ignoreOf = new boolean[G];
        for (int j = 0; j < G; j++) {
            ignoreOf[j] = gAll[j].ignore() || gAll[j].area() < rng[0] || gAll[j].area() > rng[1];
        }
        Integer[] order = new Integer[G];
        for (int j = 0; j < G; j++) {
            order[j] = j;
        }
        Arrays.sort(order, (p, q) -> Boolean.compare(ignoreOf[p], ignoreOf[q]));
        Gt[] g = new Gt[G];
        boolean[] gtIg = new boolean[G];
        for (int j = 0; j < G; j++) {
            g[j] = gAll[order[j]];
            gtIg[j] = ignoreOf[order[j]];
        }
        long[][] gtm = new long[T][G];
        long[][] dtm = new long[T][D];
        boolean[][] dtIg = new boolean[T][D];
        for (int t = 0; t < T; t++) {
            for (int i = 0; i < D; i++) {
                double best = Math.min(iouThrs[t], 1 - 1e-10);
                int m = -1;
                for (int j = 0; j < G; j++) {
                    if (gtm[t][j] > 0 && !g[j].crowd()) {
                        continue;                       // already matched, and not a crowd
                    }
                    if (m > -1 && !gtIg[m] && gtIg[j]) {
                        break;                          // a regular match exists; only ignored GTs follow
                    }
                    double v = iousAll[i][order[j]];
                    if (v < best) {
                        continue;
                    }
                    best = v;
                    m = j;
                }
                if (m == -1) {
                    continue;
                }
                dtIg[t][i] = gtIg[m];
                dtm[t][i] = g[m].id();
                gtm[t][m] = dSorted[i].id();
            }
        }
        int notIgnored = 0;
        for (boolean ig : gtIg) {
            if (!ig) {
                notIgnored++;
            }
        }
        double[] scores = new double[D];
        boolean[][] matched = new boolean[T][D];
        for (int i = 0; i < D; i++) {
            scores[i] = dSorted[i].score();
            boolean outside = dSorted[i].area() < rng[0] || dSorted[i].area() > rng[1];
            for (int t = 0; t < T; t++) {
                // pycocotools tests the matched GT id for truth: a GT with id 0 counts as unmatched.
                matched[t][i] = dtm[t][i] != 0;
                dtIg[t][i] = dtIg[t][i] || (dtm[t][i] == 0 && outside);
            }
        }
        return new ImageEval(scores, matched, dtIg, notIgnored);
    }

    private CocoEvalResult accumulate(ImageEval[][] evals, int nK, int nI, int nA, long[] catIds) {
        int T = iouThrs.length, R = REC_THRS.length, M = MAX_DETS.length;
        double[][][][][] precision = new double[T][R][nK][nA][M];
        double[][][][] recall = new double[T][nK][nA][M];
        for (double[][][][] a : precision) {
            for (double[][][] b : a) {
                for (double[][] c : b) {
                    for (double[] e : c) {
                        Arrays.fill(e, -1);
                    }
                }
            }
        }
        for (double[][][] a : recall) {
            for (double[][] b : a) {
                for (double[] c : b) {
                    Arrays.fill(c, -1);
                }
            }
        }
        IntStream.range(0, nK).parallel().forEach(k -> {
            for (int a = 0; a < nA; a++) {
                for (int m = 0; m < M; m++) {
                    accumulateOne(evals, k, a, m, nI, precision, recall, T);
                }
            }
        });
        return new CocoEvalResult(precision, recall, catIds, names(catIds));
    }

    private static void accumulateOne(ImageEval[][] evals, int k, int a, int m, int nI, double[][][][][] precision,
                                      double[][][][] recall, int numThresholds) {
        int maxDet = MAX_DETS[m];
        List<ImageEval> es = new ArrayList<>();
        int total = 0;
        for (int i = 0; i < nI; i++) {
            ImageEval[] cell = evals[k * nI + i];
            if (cell != null && cell[a] != null) {
                es.add(cell[a]);
                total += Math.min(maxDet, cell[a].dtScores().length);
            }
        }
        if (es.isEmpty()) {
            return;
        }
        int npig = 0;
        double[] scores = new double[total];
        int[] src = new int[total], pos = new int[total];
        int n = 0;
        for (int e = 0; e < es.size(); e++) {
            ImageEval ie = es.get(e);
            npig += ie.numGtNotIgnored();
            for (int i = 0; i < Math.min(maxDet, ie.dtScores().length); i++, n++) {
                scores[n] = ie.dtScores()[i];
                src[n] = e;
                pos[n] = i;
            }
        }
        if (npig == 0) {
            return;
        }
        Integer[] order = new Integer[total];
        for (int i = 0; i < total; i++) {
            order[i] = i;
        }
        Arrays.sort(order, (p, q) -> Double.compare(scores[q], scores[p]));   // stable, as numpy's mergesort
        for (int t = 0; t < numThresholds; t++) {
            double tp = 0, fp = 0;
            double[] rc = new double[total], pr = new double[total];
            int nd = 0;
            for (int r = 0; r < total; r++) {
                ImageEval ie = es.get(src[order[r]]);
                int i = pos[order[r]];
                boolean ignored = ie.dtIgnore()[t][i], matched = ie.dtMatched()[t][i];
                if (!ignored) {
                    if (matched) {
                        tp++;
                    } else {
                        fp++;
                    }
                }
                // Every detection (ignored ones too) is a step of the cumulative sums, as in pycocotools.
                rc[nd] = tp / npig;
                pr[nd] = tp / (fp + tp + Math.ulp(1.0));
                nd++;
            }
            recall[t][k][a][m] = nd > 0 ? rc[nd - 1] : 0;
            for (int i = nd - 1; i > 0; i--) {
                if (pr[i] > pr[i - 1]) {
                    pr[i - 1] = pr[i];
                }
            }
            for (int ri = 0; ri < REC_THRS.length; ri++) {
                int idx = searchsortedLeft(rc, nd, REC_THRS[ri]);
                if (idx >= nd) {
                    // pycocotools' try/except: the first out-of-range index stops filling; the rest stay 0.
                    for (int rj = ri; rj < REC_THRS.length; rj++) {
                        precision[t][rj][k][a][m] = 0;
                    }
                    break;
                }
                precision[t][ri][k][a][m] = pr[idx];
            }
        }
    }

    /** First index i in sorted rc[0, n) with rc[i] ≥ v (numpy searchsorted, side='left'). */
    static int searchsortedLeft(double[] rc, int n, double v) {
        int lo = 0, hi = n;
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (rc[mid] < v) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        return lo;
    }

    private Map<Long, String> names(long[] catIds) {
        Map<Long, String> m = new HashMap<>();
        for (CocoJson.Category c : gt.categories()) {
            m.put(c.id(), c.name());
        }
        return m;
    }

    private static Map<Long, Integer> index(long[] ids) {
        Map<Long, Integer> m = new HashMap<>();
        for (int i = 0; i < ids.length; i++) {
            m.put(ids[i], i);
        }
        return m;
    }

    /** numpy.linspace(start, stop, num) with endpoint: start + k·step, the last value set to stop. */
    static double[] linspace(double start, double stop, int num) {
        double step = (stop - start) / (num - 1);
        double[] v = new double[num];
        for (int k = 0; k < num; k++) {
            v[k] = k * step + start;
        }
        v[num - 1] = stop;
        return v;
    }
}
