package dev.dwjava.eval.coco;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The outcome of {@link CocoEval}: pycocotools' accumulated arrays and summaries. Values are in [0, 1]; −1 means that
 * a category or area range has no ground truth (pycocotools' convention).
 *
 * @param precision [T=10 IoU thresholds][R=101 recall thresholds][K categories][A=4 areas][M=3 maxDets]
 * @param recall    [T][K][A][M]
 * @param catIds    category ids in K order (sorted)
 * @param catNames  names by category id
 */
public record CocoEvalResult(double[][][][][] precision, double[][][][] recall, long[] catIds, Map<Long, String> catNames) {

    /** The 12 numbers of {@code summarize()}, in its order: AP, AP50, AP75, APs, APm, APl, AR1, AR10, AR100, ARs, ARm, ARl. */
    public double[] stats() {
        return new double[] {
            mean(true, -1, 0, 2), mean(true, 0, 0, 2), mean(true, 5, 0, 2),
            mean(true, -1, 1, 2), mean(true, -1, 2, 2), mean(true, -1, 3, 2),
            mean(false, -1, 0, 0), mean(false, -1, 0, 1), mean(false, -1, 0, 2),
            mean(false, -1, 1, 2), mean(false, -1, 2, 2), mean(false, -1, 3, 2),
        };
    }

    /** Mean over entries > −1 of precision (ap) or recall at one IoU index (or all with −1), area and maxDets index. */
    private double mean(boolean ap, int t, int a, int m) {
        double sum = 0;
        int n = 0;
        for (int ti = 0; ti < CocoEval.IOU_THRS.length; ti++) {
            if (t >= 0 && ti != t) {
                continue;
            }
            for (int k = 0; k < catIds.length; k++) {
                if (ap) {
                    for (int r = 0; r < CocoEval.REC_THRS.length; r++) {
                        double v = precision[ti][r][k][a][m];
                        if (v > -1) {
                            sum += v;
                            n++;
                        }
                    }
                } else {
                    double v = recall[ti][k][a][m];
                    if (v > -1) {
                        sum += v;
                        n++;
                    }
                }
            }
        }
        return n == 0 ? -1 : sum / n;
    }

    /** AP, AP50 and AP75 of one category (area all, 100 detections); −1 without GT. */
    public double[] perClass(int k) {
        double[] out = new double[3];
        int[] ts = {-1, 0, 5};
        for (int s = 0; s < 3; s++) {
            double sum = 0;
            int n = 0;
            for (int t = 0; t < CocoEval.IOU_THRS.length; t++) {
                if (ts[s] >= 0 && t != ts[s]) {
                    continue;
                }
                for (int r = 0; r < CocoEval.REC_THRS.length; r++) {
                    double v = precision[t][r][k][0][2];
                    if (v > -1) {
                        sum += v;
                        n++;
                    }
                }
            }
            out[s] = n == 0 ? -1 : sum / n;
        }
        return out;
    }

    /** pycocotools' summary lines. */
    public String summary() {
        double[] s = stats();
        String[] kind = {"Average Precision", "Average Recall"};
        String[] iou = {"0.50:0.95", "0.50", "0.75"};
        int[][] rows = {{0, 0, 0, 2}, {0, 1, 0, 2}, {0, 2, 0, 2}, {0, 0, 1, 2}, {0, 0, 2, 2}, {0, 0, 3, 2},
                        {1, 0, 0, 0}, {1, 0, 0, 1}, {1, 0, 0, 2}, {1, 0, 1, 2}, {1, 0, 2, 2}, {1, 0, 3, 2}};
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < 12; i++) {
            int[] r = rows[i];
            sb.append(String.format(Locale.ROOT, " %-18s %s @[ IoU=%-9s | area=%6s | maxDets=%3d ] = %.3f%n", kind[r[0]],
                    r[0] == 0 ? "(AP)" : "(AR)", iou[r[1]], CocoEval.AREA_NAMES[r[2]], CocoEval.MAX_DETS[r[3]], s[i]));
        }
        return sb.toString();
    }

    /** The per-class AP table (×100, one decimal; "-" without GT). */
    public String perClassTable() {
        StringBuilder sb = new StringBuilder(String.format(Locale.ROOT, "%-20s %6s %6s %6s%n", "category", "AP", "AP50", "AP75"));
        for (int k = 0; k < catIds.length; k++) {
            double[] v = perClass(k);
            sb.append(String.format(Locale.ROOT, "%-20s %6s %6s %6s%n", catNames.getOrDefault(catIds[k], "" + catIds[k]),
                    pct(v[0]), pct(v[1]), pct(v[2])));
        }
        return sb.toString();
    }

    /** {@code {"stats": [...], "per_class": {name: {"AP":, "AP50":, "AP75":}}}} as plain maps for JSON. */
    public Map<String, Object> toMap() {
        Map<String, Object> m = new LinkedHashMap<>();
        List<Double> stats = new ArrayList<>();
        for (double v : stats()) {
            stats.add(v);
        }
        m.put("stats", stats);
        Map<String, Object> per = new LinkedHashMap<>();
        for (int k = 0; k < catIds.length; k++) {
            double[] v = perClass(k);
            Map<String, Object> c = new LinkedHashMap<>();
            c.put("id", catIds[k]);
            c.put("AP", v[0]);
            c.put("AP50", v[1]);
            c.put("AP75", v[2]);
            per.put(catNames.getOrDefault(catIds[k], "" + catIds[k]), c);
        }
        m.put("per_class", per);
        return m;
    }

    private static String pct(double v) {
        return v < 0 ? "-" : String.format(Locale.ROOT, "%.1f", 100 * v);
    }
}
