package dev.dwjava.bench;

import java.io.IOException;
import java.io.Writer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Random;

/**
 * Writes a COCO-val-sized evaluation case for timing evaluators: {@code N} images (default 5,000), 80 sparse category
 * ids, about 7.3 GTs per image (some crowd, sizes from tiny to large) and about 27 detections per image with coarse
 * scores (many ties). Usage: {@code java ... MakeCocoEvalCase OUT_DIR [N] [SEED]} → OUT_DIR/gt.json, OUT_DIR/dt.json.
 */
public final class MakeCocoEvalCase {
    private MakeCocoEvalCase() {}

    public static void main(String[] args) throws IOException {
        Path dir = Path.of(args[0]);
        int n = args.length > 1 ? Integer.parseInt(args[1]) : 5000;
        Random r = new Random(args.length > 2 ? Long.parseLong(args[2]) : 0);
        Files.createDirectories(dir);
        int[] cats = new int[80];
        for (int k = 0, id = 1; k < 80; k++, id += 1 + (k % 5 == 0 ? 1 : 0)) {
            cats[k] = id;
        }
        long annId = 1;
        try (Writer gt = Files.newBufferedWriter(dir.resolve("gt.json")); Writer dt = Files.newBufferedWriter(dir.resolve("dt.json"))) {
            gt.write("{\"images\": [");
            for (int i = 0; i < n; i++) {
                gt.write((i > 0 ? "," : "") + "{\"id\": " + (100000 + i) + ", \"width\": 640, \"height\": 480, \"file_name\": \"" + i + ".jpg\"}");
            }
            gt.write("], \"categories\": [");
            for (int k = 0; k < 80; k++) {
                gt.write((k > 0 ? "," : "") + "{\"id\": " + cats[k] + ", \"name\": \"c" + cats[k] + "\"}");
            }
            gt.write("], \"annotations\": [");
            dt.write("[");
            boolean firstAnn = true, firstDet = true;
            for (int i = 0; i < n; i++) {
                int g = r.nextInt(15);
                double[][] boxes = new double[g][];
                int[] labels = new int[g];
                for (int j = 0; j < g; j++) {
                    double s = Math.exp(r.nextDouble() * Math.log(400)) + 4;
                    double w = s * (0.5 + r.nextDouble()), h = s * (0.5 + r.nextDouble());
                    boxes[j] = new double[] {r.nextDouble() * (640 - Math.min(w, 600)), r.nextDouble() * (480 - Math.min(h, 440)), w, h};
                    labels[j] = cats[r.nextInt(80)];
                    boolean crowd = r.nextInt(100) < 3;
                    gt.write((firstAnn ? "" : ",") + String.format(Locale.ROOT,
                            "{\"id\": %d, \"image_id\": %d, \"category_id\": %d, \"bbox\": [%.2f, %.2f, %.2f, %.2f], \"area\": %.2f, \"iscrowd\": %d}",
                            annId++, 100000 + i, labels[j], boxes[j][0], boxes[j][1], w, h, w * h * (0.6 + 0.3 * r.nextDouble()), crowd ? 1 : 0));
                    firstAnn = false;
                }
                int d = r.nextInt(55);
                for (int j = 0; j < d; j++) {
                    double[] b;
                    int label;
                    if (g > 0 && r.nextInt(3) > 0) {
                        int m = r.nextInt(g);
                        b = boxes[m].clone();
                        for (int q = 0; q < 4; q++) {
                            b[q] = Math.max(0.5, b[q] + r.nextGaussian() * 0.1 * Math.max(boxes[m][2], boxes[m][3]) * (q < 2 ? 1 : 0.5));
                        }
                        label = r.nextInt(10) == 0 ? cats[r.nextInt(80)] : labels[m];
                    } else {
                        double s = 8 + r.nextDouble() * 200;
                        b = new double[] {r.nextDouble() * 600, r.nextDouble() * 440, s, s * (0.5 + r.nextDouble())};
                        label = cats[r.nextInt(80)];
                    }
                    dt.write((firstDet ? "" : ",") + String.format(Locale.ROOT,
                            "{\"image_id\": %d, \"category_id\": %d, \"bbox\": [%.2f, %.2f, %.2f, %.2f], \"score\": %.3f}",
                            100000 + i, label, b[0], b[1], b[2], b[3], 0.05 + r.nextInt(900) / 1000.0));
                    firstDet = false;
                }
            }
            gt.write("]}");
            dt.write("]");
        }
        System.out.println("wrote " + dir.resolve("gt.json") + " and " + dir.resolve("dt.json"));
    }
}
