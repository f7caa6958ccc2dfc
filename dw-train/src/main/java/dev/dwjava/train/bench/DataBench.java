package dev.dwjava.train.bench;

import java.awt.Color;
import java.awt.GradientPaint;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;

import javax.imageio.ImageIO;

import dev.dwjava.core.image.ImageDecoder;
import dev.dwjava.core.image.ImageTensors;
import dev.dwjava.core.image.NativeJpeg;
import dev.dwjava.core.image.RgbImage;
import dev.dwjava.core.runtime.TensorScope;
import dev.dwjava.core.tensor.Tensors;
import dev.dwjava.data.coco.CocoDataset;
import dev.dwjava.data.loader.Augmentation;
import dev.dwjava.data.loader.DetectionBatch;
import dev.dwjava.data.loader.DetectionLoader;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.global.torch.ScalarType;

/**
 * Decode + resize + flip + normalise + pad + collate throughput of the training loader on photo-like JPEGs, and the CPU
 * time of each worker stage. {@code benchmarks/peers/pil_data_peer.py} runs the PIL peer on the same files.
 */
public final class DataBench {
    private DataBench() {}

    /** @param dir where the JPEGs are written (they are generated first) */
    public static Map<String, Object> run(Path dir, int images, int workers) throws IOException {
        Path ann = writeJpegs(dir, images);
        CocoDataset ds = CocoDataset.load(ann, dir, true);
        Augmentation aug = new Augmentation(1333, 800, 800, 0.5);
        double best = 0, bestPerCpu = 0;
        com.sun.management.OperatingSystemMXBean os =
                (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
        try (DetectionLoader loader = new DetectionLoader(ds, aug, 2, workers, 0, true, 0, 1)) {
            for (int epoch = 0; epoch < 3; epoch++) {
                long t0 = System.nanoTime(), cpu0 = os.getProcessCpuTime();
                int n = 0;
                for (Iterator<DetectionBatch> it = loader.epoch(epoch); it.hasNext(); ) {
                    try (TensorScope scope = TensorScope.open()) {
                        n += it.next().metas().size();
                    }
                }
                best = Math.max(best, n / ((System.nanoTime() - t0) / 1e9));
                bestPerCpu = Math.max(bestPerCpu, n / ((os.getProcessCpuTime() - cpu0) / 1e9));
            }
        }
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("images", images);
        r.put("workers", workers);
        r.put("pipeline", "JPEG 640x480 decode, resize to 1067x800, flip 0.5, normalize, pad, collate (batch 2)");
        r.put("jpeg_decoder", NativeJpeg.available() ? "libjpeg-turbo (NativeJpeg)" : "ImageIO");
        r.put("images_per_s", best);
        // Images per CPU-second of the whole process (workers, consumer, GC, JIT) in the best epoch by that measure:
        // what a core delivers, less sensitive than images_per_s to other load on the machine.
        r.put("images_per_cpu_s", bestPerCpu);
        r.put("stage_cpu_ms_per_image", stages(ds));
        r.put("peak_rss_mb", BenchStats.peakRssMb());
        return r;
    }

    /**
     * Median CPU time per image of the two stages a worker runs, on this thread: reading and decoding the file, and
     * resizing, flipping, normalising and padding it into a batch slot (two passes over the images, the first a
     * warm-up).
     */
    static Map<String, Object> stages(CocoDataset ds) throws IOException {
        ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        int n = Math.min(ds.size(), 32);
        double[] decode = new double[n], prepare = new double[n];
        try (TensorScope scope = TensorScope.open()) {
            Tensor batch = Tensors.empty(new TensorOptions(ScalarType.Float), 1, 3, 800, 1088);
            for (int pass = 0; pass < 2; pass++) {
                for (int i = 0; i < n; i++) {
                    long t0 = mx.getCurrentThreadCpuTime();
                    RgbImage img = ImageDecoder.decode(ds.entries().get(i).file());
                    long t1 = mx.getCurrentThreadCpuTime();
                    ImageTensors.prepareInto(img, 1067, 800, (i & 1) == 1, batch, 0);
                    long t2 = mx.getCurrentThreadCpuTime();
                    decode[i] = (t1 - t0) / 1e6;
                    prepare[i] = (t2 - t1) / 1e6;
                }
            }
        }
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("read_and_decode", BenchStats.median(decode));
        r.put("resize_flip_normalize_pad", BenchStats.median(prepare));
        return r;
    }

    /** Photo-like 640×480 JPEGs (smooth gradients, shapes, noise) and a COCO file with one box each. */
    static Path writeJpegs(Path root, int n) throws IOException {
        Random r = new Random(0);
        StringBuilder imgs = new StringBuilder(), anns = new StringBuilder();
        for (int i = 0; i < n; i++) {
            BufferedImage img = new BufferedImage(640, 480, BufferedImage.TYPE_INT_RGB);
            Graphics2D g = img.createGraphics();
            g.setPaint(new GradientPaint(0, 0, new Color(r.nextInt(1 << 24)), 640, 480, new Color(r.nextInt(1 << 24))));
            g.fillRect(0, 0, 640, 480);
            for (int k = 0; k < 8; k++) {
                g.setColor(new Color(r.nextInt(1 << 24)));
                g.fillOval(r.nextInt(600), r.nextInt(440), 20 + r.nextInt(200), 20 + r.nextInt(200));
            }
            g.dispose();
            for (int k = 0; k < 20000; k++) {
                int x = r.nextInt(640), y = r.nextInt(480);
                img.setRGB(x, y, img.getRGB(x, y) ^ 0x0f0f0f);
            }
            ImageIO.write(img, "jpg", root.resolve(i + ".jpg").toFile());
            imgs.append(i == 0 ? "" : ",").append("{\"id\": ").append(i + 1).append(", \"file_name\": \"").append(i)
                    .append(".jpg\", \"width\": 640, \"height\": 480}");
            anns.append(i == 0 ? "" : ",").append("{\"id\": ").append(i + 1).append(", \"image_id\": ").append(i + 1)
                    .append(", \"category_id\": 1, \"bbox\": [100, 100, 200, 150], \"area\": 30000, \"iscrowd\": 0}");
        }
        Path ann = root.resolve("instances.json");
        Files.writeString(ann, "{\"images\": [" + imgs + "], \"annotations\": [" + anns
                + "], \"categories\": [{\"id\": 1, \"name\": \"x\"}]}");
        return ann;
    }
}
