package dev.dwjava.eval.coco;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

import dev.dwjava.data.coco.CocoJson;

/**
 * Analyses of a results file against its ground truth, on {@link CocoEval}'s IoU and matching:
 * <ul>
 *   <li>{@link #confusionMatrix}: mmdetection's {@code tools/analysis_tools/confusion_matrix.py};</li>
 *   <li>{@link #errorBreakdown}: the COCO {@code analyze()} error breakdown (Derek Hoiem's diagnosis, as in the COCO
 *       Matlab API and mmdetection's {@code coco_error_analysis.py}): the PR curves C75, C50, Loc, Sim, Oth, BG, FN.</li>
 * </ul>
 */
public final class CocoAnalysis {
    /** The error-breakdown curves, in order. */
    public static final List<String> ERROR_TYPES = List.of("C75", "C50", "Loc", "Sim", "Oth", "BG", "FN");

    private CocoAnalysis() {}

    /**
     * mmdetection's confusion matrix: rows are ground-truth classes, columns detected classes, the last row and column
     * the background. Per image, each detection scoring at least {@code scoreThr} adds one to (g, its class) for every
     * GT g it overlaps with IoU ≥ {@code iouThr} (a GT of its class so overlapped is found), or to (background, its
     * class) when it overlaps none; every GT found by no detection of its class adds one to (its class, background).
     * GTs that are crowds or flagged {@code ignore} take no part (mmdetection keeps them out of {@code gt_bboxes}).
     *
     * @return counts [K + 1][K + 1], classes in category id order
     */
    public static long[][] confusionMatrix(CocoJson.Instances gt, List<CocoJson.Result> dt, double scoreThr, double iouThr) {
        long[] catIds = catIds(gt);
        long[] imgIds = gt.images().stream().mapToLong(CocoJson.Image::id).distinct().sorted().toArray();
        new CocoEval(gt, dt).checkResults(imgIds, catIds);
        Map<Long, Integer> label = index(catIds);
        int k = catIds.length;
        Map<Long, List<CocoJson.Annotation>> gts = new HashMap<>();
        for (CocoJson.Annotation a : gt.annotations()) {
            if (!a.crowd() && !a.ignore() && label.containsKey(a.categoryId())) {
                gts.computeIfAbsent(a.imageId(), i -> new ArrayList<>()).add(a);
            }
        }
        Map<Long, List<CocoJson.Result>> dts = new HashMap<>();
        for (CocoJson.Result r : dt) {
            dts.computeIfAbsent(r.imageId(), i -> new ArrayList<>()).add(r);
        }
        long[][] m = new long[k + 1][k + 1];
        for (long img : imgIds) {
            List<CocoJson.Annotation> g = gts.getOrDefault(img, List.of());
            int[] found = new int[g.size()];
            for (CocoJson.Result r : dts.getOrDefault(img, List.of())) {
                if (r.score() < scoreThr) {
                    continue;
                }
                int c = label.get(r.categoryId());
                CocoEval.Det d = new CocoEval.Det(0, r.x(), r.y(), r.w(), r.h(), r.w() * r.h(), r.score());
                int matches = 0;
                for (int j = 0; j < g.size(); j++) {
                    CocoJson.Annotation a = g.get(j);
                    double iou = CocoEval.iou(d, new CocoEval.Gt(a.id(), a.x(), a.y(), a.w(), a.h(), a.area(), false, false));
                    if (iou >= iouThr) {
                        matches++;
                        int gl = label.get(a.categoryId());
                        if (gl == c) {
                            found[j]++;
                        }
                        m[gl][c]++;
                    }
                }
                if (matches == 0) {
                    m[k][c]++;
                }
            }
            for (int j = 0; j < g.size(); j++) {
                if (found[j] == 0) {
                    m[label.get(g.get(j).categoryId())][k]++;
                }
            }
        }
        return m;
    }

    /**
     * The error breakdown (area all, 100 detections per image).
     *
     * @param curves    [class][type][101 recall thresholds] precision, −1 (no GT) read as 0 as {@code analyze()} does
     * @param ap        [class][type] the mean of each curve
     * @param overallAp [type] the mean over classes
     * @param catIds    classes in category id order
     */
    public record ErrorBreakdown(double[][][] curves, double[][] ap, double[] overallAp, long[] catIds) {}

    /**
     * The COCO error breakdown per class: C75 and C50 are the PR curves at IoU 0.75 and 0.5; Loc at IoU 0.1
     * (localisation errors forgiven); Sim also forgives confusions with classes of the same supercategory (their GTs
     * become ignored GTs of the class) and Oth with any class; BG is 1 where Oth is above 0 (background false positives
     * forgiven) and FN is 1 (missed GTs forgiven). For each class only its own detections are evaluated.
     *
     * @param supercategory by category id; a category without one is its own supercategory
     */
    public static ErrorBreakdown errorBreakdown(CocoJson.Instances gt, List<CocoJson.Result> dt, Map<Long, String> supercategory) {
        long[] catIds = catIds(gt);
        int k = catIds.length, r = CocoEval.REC_THRS.length, types = ERROR_TYPES.size();
        double[][][] curves = new double[k][types][r];
        CocoEvalResult main = new CocoEval(gt, dt, new double[] {0.75, 0.5, 0.1}, false).run();
        for (int c = 0; c < k; c++) {
            long cat = catIds[c];
            for (int t = 0; t < 3; t++) {
                for (int i = 0; i < r; i++) {
                    curves[c][t][i] = main.precision()[t][i][c][0][2];
                }
            }
            List<CocoJson.Result> own = dt.stream().filter(d -> d.categoryId() == cat).toList();
            String sup = supercategory.get(cat);
            curves[c][3] = forgiving(gt, own, cat, c, a -> sup != null && Objects.equals(sup, supercategory.get(a.categoryId())));
            curves[c][4] = forgiving(gt, own, cat, c, a -> true);
            for (int i = 0; i < r; i++) {
                for (int t = 0; t < 5; t++) {
                    curves[c][t][i] = Math.max(0, curves[c][t][i]);   // -1 (no GT) → 0
                }
                curves[c][5][i] = curves[c][4][i] > 0 ? 1 : 0;
                curves[c][6][i] = 1;
            }
        }
        double[][] ap = new double[k][types];
        double[] overall = new double[types];
        for (int c = 0; c < k; c++) {
            for (int t = 0; t < types; t++) {
                double s = 0;
                for (double v : curves[c][t]) {
                    s += v;
                }
                ap[c][t] = s / r;
                overall[t] += ap[c][t] / k;
            }
        }
        return new ErrorBreakdown(curves, ap, overall, catIds);
    }

    /** Class {@code cat}'s precision at IoU 0.1 with the GTs of other classes that {@code forgive} takes made ignored GTs of it. */
    private static double[] forgiving(CocoJson.Instances gt, List<CocoJson.Result> own, long cat, int c,
                                      java.util.function.Predicate<CocoJson.Annotation> forgive) {
        List<CocoJson.Annotation> anns = new ArrayList<>();
        for (CocoJson.Annotation a : gt.annotations()) {
            if (a.categoryId() != cat && forgive.test(a)) {
                anns.add(new CocoJson.Annotation(a.id(), a.imageId(), cat, a.x(), a.y(), a.w(), a.h(), a.area(), a.crowd(), true));
            } else {
                // Only the forgiven GTs are ignored for their flag; a GT's own ignore flag means nothing to pycocotools.
                anns.add(new CocoJson.Annotation(a.id(), a.imageId(), a.categoryId(), a.x(), a.y(), a.w(), a.h(), a.area(),
                        a.crowd(), false));
            }
        }
        CocoEvalResult e = new CocoEval(new CocoJson.Instances(gt.images(), anns, gt.categories()), own,
                new double[] {0.1}, true).run();
        double[] p = new double[CocoEval.REC_THRS.length];
        for (int i = 0; i < p.length; i++) {
            p[i] = e.precision()[0][i][c][0][2];
        }
        return p;
    }

    /** The recall thresholds of the curves (0, 0.01, ..., 1). */
    public static double[] recallThresholds() {
        return CocoEval.REC_THRS.clone();
    }

    /**
     * Precision per recall threshold of class index {@code k} (area all, 100 detections): at IoU 0.5 when
     * {@code iou50}, else the mean over the ten IoU thresholds 0.5:0.95 (each −1, no GT, read as 0).
     */
    public static double[] precisionCurve(CocoEvalResult r, int k, boolean iou50) {
        double[] p = new double[CocoEval.REC_THRS.length];
        int t0 = 0, t1 = iou50 ? 1 : r.precision().length;
        for (int i = 0; i < p.length; i++) {
            double s = 0;
            for (int t = t0; t < t1; t++) {
                s += Math.max(0, r.precision()[t][i][k][0][2]);
            }
            p[i] = s / (t1 - t0);
        }
        return p;
    }

    private static long[] catIds(CocoJson.Instances gt) {
        return gt.categories().stream().mapToLong(CocoJson.Category::id).distinct().sorted().toArray();
    }

    private static Map<Long, Integer> index(long[] ids) {
        Map<Long, Integer> m = new HashMap<>();
        for (int i = 0; i < ids.length; i++) {
            m.put(ids[i], i);
        }
        return m;
    }
}
