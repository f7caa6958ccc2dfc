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
        int nI = imgIds.length, nK = catIds.length, nCells = nK * nI;
        // Ground truths and detections grouped by (category, image) cell as index lists (CSR), file order kept.
        List<CocoJson.Annotation> anns = gt.annotations();
        int[] gtCellOf = new int[anns.size()];
        for (int n = 0; n < anns.size(); n++) {
            CocoJson.Annotation a = anns.get(n);
            Integer ii = imgIndex.get(a.imageId()), kk = catIndex.get(a.categoryId());
            gtCellOf[n] = ii != null && kk != null ? kk * nI + ii : -1;
        }
        int[] dtCellOf = new int[dt.size()];
        for (int n = 0; n < dt.size(); n++) {
            CocoJson.Result r = dt.get(n);
            dtCellOf[n] = catIndex.get(r.categoryId()) * nI + imgIndex.get(r.imageId());
        }
        int[] gtStart = new int[nCells + 1], gtList = group(gtCellOf, gtStart);
        int[] dtStart = new int[nCells + 1], dtList = group(dtCellOf, dtStart);
        int[] active = IntStream.range(0, nCells)
                .filter(c -> gtStart[c + 1] > gtStart[c] || dtStart[c + 1] > dtStart[c]).toArray();
        // evaluateImg for every non-empty (category, image) and area with maxDet = 100, in parallel over cells.
        CellEval[] evals = new CellEval[nCells];
        IntStream.range(0, active.length).parallel().forEach(j -> {
            int c = active[j];
            evals[c] = evaluateCell(gtList, gtStart[c], gtStart[c + 1], dtList, dtStart[c], dtStart[c + 1]);
        });
        return accumulate(evals, nK, nI, catIds);
    }

    /** Indices 0..n−1 grouped by {@code cellOf} (−1: dropped), ascending within a cell; {@code start} gets the offsets. */
    private static int[] group(int[] cellOf, int[] start) {
        for (int c : cellOf) {
            if (c >= 0) {
                start[c + 1]++;
            }
        }
        for (int c = 0; c + 1 < start.length; c++) {
            start[c + 1] += start[c];
        }
        int[] fill = Arrays.copyOf(start, start.length - 1), out = new int[start[start.length - 1]];
        for (int n = 0; n < cellOf.length; n++) {
            if (cellOf[n] >= 0) {
                out[fill[cellOf[n]]++] = n;
            }
        }
        return out;
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

    /**
     * evaluateImg of one (category, image) for every area range: the detections by score (stable), cut to 100, and per
     * area and IoU threshold whether each is matched and whether it is ignored.
     *
     * @param scores detection scores, descending (the same for every area, as in pycocotools)
     * @param flags  [area][t·D + i]: {@link #MATCHED} and {@link #IGNORED} bits of detection i at threshold t
     * @param npig   [area] ground truths not ignored
     */
    record CellEval(double[] scores, byte[][] flags, int[] npig) {}

    static final byte MATCHED = 1, IGNORED = 2;
    /** numpy's {@code np.spacing(1)}, pycocotools' guard against 0/0 in precision. */
    private static final double EPS = Math.ulp(1.0);

    private CellEval evaluateCell(int[] gtList, int g0, int g1, int[] dtList, int d0, int d1) {
        int G = g1 - g0;
        double[] gx = new double[G], gy = new double[G], gw = new double[G], gh = new double[G], garea = new double[G];
        boolean[] gcrowd = new boolean[G], gignore = new boolean[G];
        long[] gid = new long[G];
        for (int j = 0; j < G; j++) {
            CocoJson.Annotation a = gt.annotations().get(gtList[g0 + j]);
            gx[j] = a.x();
            gy[j] = a.y();
            gw[j] = a.w();
            gh[j] = a.h();
            garea[j] = a.area();
            gcrowd[j] = a.crowd();
            gignore[j] = a.crowd() || honourIgnore && a.ignore();
            gid[j] = a.id();
        }
        // computeIoU: detections by score (stable), cut to maxDets[-1]. A detection's id is its 1-based file position.
        int all = d1 - d0;
        double[] byFile = new double[all];
        for (int i = 0; i < all; i++) {
            byFile[i] = dt.get(dtList[d0 + i]).score();
        }
        int[] order = StableOrder.descending(byFile, all);
        int D = Math.min(all, MAX_DETS[MAX_DETS.length - 1]);
        double[] dx = new double[D], dy = new double[D], dw = new double[D], dh = new double[D], darea = new double[D];
        double[] scores = new double[D];
        for (int i = 0; i < D; i++) {
            CocoJson.Result r = dt.get(dtList[d0 + order[i]]);
            dx[i] = r.x();
            dy[i] = r.y();
            dw[i] = r.w();
            dh[i] = r.h();
            darea[i] = r.w() * r.h();
            scores[i] = r.score();
        }
        double[] ious = new double[D * G];
        for (int i = 0; i < D; i++) {
            for (int j = 0; j < G; j++) {
                ious[i * G + j] = iou(dx[i], dy[i], dw[i], dh[i], gx[j], gy[j], gw[j], gh[j], gcrowd[j]);
            }
        }
        int T = iouThrs.length, A = AREA_RNG.length;
        byte[][] flags = new byte[A][];
        int[] npig = new int[A];
        int[] gOrder = new int[G];
        boolean[] gtIg = new boolean[G], gtMatched = new boolean[T * G];
        long[] dtm = new long[T * D];
        for (int a = 0; a < A; a++) {
            double lo = AREA_RNG[a][0], hi = AREA_RNG[a][1];
            // GTs: ignore = crowd or outside the area range; the non-ignored first, each group in file order.
            int k = 0;
            for (int pass = 0; pass < 2; pass++) {
                for (int j = 0; j < G; j++) {
                    boolean ig = gignore[j] || garea[j] < lo || garea[j] > hi;
                    if (ig == (pass == 1)) {
                        gOrder[k] = j;
                        gtIg[k++] = ig;
                    }
                }
            }
            Arrays.fill(gtMatched, false);
            Arrays.fill(dtm, 0);
            byte[] f = new byte[T * D];
            for (int t = 0; t < T; t++) {
                for (int i = 0; i < D; i++) {
                    double best = Math.min(iouThrs[t], 1 - 1e-10);
                    int m = -1;
                    for (int j = 0; j < G; j++) {
                        int gj = gOrder[j];
                        if (gtMatched[t * G + j] && !gcrowd[gj]) {
                            continue;                       // already matched, and not a crowd
                        }
                        if (m > -1 && !gtIg[m] && gtIg[j]) {
                            break;                          // a regular match exists; only ignored GTs follow
                        }
                        double v = ious[i * G + gj];
                        if (v < best) {
                            continue;
                        }
                        best = v;
                        m = j;
                    }
                    if (m == -1) {
                        continue;
                    }
                    if (gtIg[m]) {
                        f[t * D + i] = IGNORED;
                    }
                    dtm[t * D + i] = gid[gOrder[m]];
                    gtMatched[t * G + m] = true;          // (pycocotools stores the detection's id there, always ≥ 1)
                }
            }
            int notIgnored = 0;
            for (int j = 0; j < G; j++) {
                if (!gtIg[j]) {
                    notIgnored++;
                }
            }
            for (int i = 0; i < D; i++) {
                boolean outside = darea[i] < lo || darea[i] > hi;
                for (int t = 0; t < T; t++) {
                    // pycocotools tests the matched GT id for truth: a GT with id 0 counts as unmatched.
                    if (dtm[t * D + i] != 0) {
                        f[t * D + i] |= MATCHED;
                    } else if (outside) {
                        f[t * D + i] |= IGNORED;
                    }
                }
            }
            flags[a] = f;
            npig[a] = notIgnored;
        }
        return new CellEval(scores, flags, npig);
    }

    /** pycocotools' box IoU: xywh boxes, no +1; for a crowd GT the union is the detection's area. */
    static double iou(Det d, Gt g) {
        return iou(d.x(), d.y(), d.w(), d.h(), g.x(), g.y(), g.w(), g.h(), g.crowd());
    }

    private static double iou(double dx, double dy, double dw, double dh, double gx, double gy, double gw, double gh,
                              boolean crowd) {
        double w = Math.min(dx + dw, gx + gw) - Math.max(dx, gx);
        if (w <= 0) {
            return 0;
        }
        double h = Math.min(dy + dh, gy + gh) - Math.max(dy, gy);
        if (h <= 0) {
            return 0;
        }
        double inter = w * h;
        double union = crowd ? dw * dh : dw * dh + gw * gh - inter;
        return inter / union;
    }

    private CocoEvalResult accumulate(CellEval[] evals, int nK, int nI, long[] catIds) {
        int T = iouThrs.length, R = REC_THRS.length, M = MAX_DETS.length, A = AREA_RNG.length;
        double[][][][][] precision = new double[T][R][nK][A][M];
        double[][][][] recall = new double[T][nK][A][M];
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
        IntStream.range(0, nK).parallel().forEach(k -> accumulateCategory(evals, k, nI, precision, recall));
        return new CocoEvalResult(precision, recall, catIds, names(catIds));
    }

    /**
     * accumulate() for one category, every area and maxDet. pycocotools sorts the concatenated scores per (area,
     * maxDet) with a stable sort; the scores do not depend on the area, and the stable order of a maxDet cut is the
     * full order without the cut-off detections, so one sort serves all twelve.
     */
    private void accumulateCategory(CellEval[] evals, int k, int nI, double[][][][][] precision, double[][][][] recall) {
        List<CellEval> es = new ArrayList<>();
        int total = 0;
        for (int i = 0; i < nI; i++) {
            CellEval e = evals[k * nI + i];
            if (e != null) {
                es.add(e);
                total += e.scores().length;
            }
        }
        if (es.isEmpty()) {
            return;
        }
        double[] scores = new double[total];
        int[] src = new int[total], pos = new int[total];
        int n = 0;
        for (int c = 0; c < es.size(); c++) {
            double[] s = es.get(c).scores();
            for (int i = 0; i < s.length; i++, n++) {
                scores[n] = s[i];
                src[n] = c;
                pos[n] = i;
            }
        }
        int[] order = StableOrder.descending(scores, total);
        int T = iouThrs.length, A = AREA_RNG.length;
        // The flags in score order, [area][t][rank], gathered once: the twelve passes below then read them in sequence.
        byte[][][] sorted = new byte[A][T][total];
        int[] rankPos = new int[total];
        for (int r = 0; r < total; r++) {
            CellEval e = es.get(src[order[r]]);
            int p = pos[order[r]], d = e.scores().length;
            rankPos[r] = p;
            for (int a = 0; a < A; a++) {
                byte[] f = e.flags()[a];
                for (int t = 0; t < T; t++) {
                    sorted[a][t][r] = f[t * d + p];
                }
            }
        }
        double[] rc = new double[total], pr = new double[total];
        for (int m = 0; m < MAX_DETS.length; m++) {
            int maxDet = MAX_DETS[m];
            for (int a = 0; a < A; a++) {
                int npig = 0;
                for (CellEval e : es) {
                    npig += e.npig()[a];
                }
                if (npig == 0) {
                    continue;
                }
                for (int t = 0; t < T; t++) {
                    double tp = 0, fp = 0;
                    byte[] flags = sorted[a][t];
                    int nd = 0;
                    for (int r = 0; r < total; r++) {
                        if (rankPos[r] >= maxDet) {
                            continue;   // cut off by this maxDet (a detection beyond the image's first maxDet)
                        }
                        byte f = flags[r];
                        if ((f & IGNORED) == 0) {
                            if ((f & MATCHED) != 0) {
                                tp++;
                            } else {
                                fp++;
                            }
                        }
                        // Every detection (ignored ones too) is a step of the cumulative sums, as in pycocotools.
                        rc[nd] = tp / npig;
                        pr[nd] = tp / (fp + tp + EPS);
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
