package dev.dwjava.train.cli;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.dwjava.core.dw.DwLoss;
import dev.dwjava.core.dw.GroundTruth;
import dev.dwjava.core.dw.RankAverager;
import dev.dwjava.core.runtime.ComputeDevice;
import dev.dwjava.core.runtime.TensorScope;
import dev.dwjava.core.runtime.Torch;
import dev.dwjava.core.tensor.Tensors;
import dev.dwjava.kernels.Accelerated;
import dev.dwjava.model.DwDetector;
import dev.dwjava.model.head.LevelOutput;
import dev.dwjava.model.postprocess.ImageMeta;
import dev.dwjava.model.postprocess.PostProcessor;
import dev.dwjava.model.weights.WeightLoader;
import dev.dwjava.train.config.DwConfig;
import dev.dwjava.train.engine.StepResult;
import dev.dwjava.train.engine.TrainBatch;
import dev.dwjava.train.engine.Trainer;
import dev.dwjava.train.solver.LrSchedule;
import dev.dwjava.train.solver.Sgd;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch.ScalarType;
import org.bytedeco.pytorch.global.torch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine;

/**
 * {@code dw bench inference|train-step}: timings of the network on random input of a given size, as JSON (medians
 * after warm-up, peak resident memory of the process).
 */
@Command(name = "bench", description = "Benchmarks of the model: inference and training-step time and peak memory (JSON).",
        subcommands = {BenchCommand.Inference.class, BenchCommand.TrainStep.class, BenchCommand.Data.class,
                BenchAllreduceCommand.class, BenchServeCommand.class})
public final class BenchCommand {

    abstract static class Common {
        @Option(names = "--config", required = true, description = "Config file (YAML).")
        Path config;

        @Option(names = "--batch", defaultValue = "1", description = "Images per batch (default ${DEFAULT-VALUE}).")
        int batch;

        @Option(names = "--size", defaultValue = "800x1216", description = "Input HxW, multiples of 32 (default ${DEFAULT-VALUE}).")
        String size;

        @Option(names = "--iters", defaultValue = "5", description = "Measured iterations after 2 warm-up ones (default ${DEFAULT-VALUE}).")
        int iters;

        @Option(names = "--cfg-options", arity = "1..*", description = "Config overrides.")
        List<String> overrides = new ArrayList<>();

        @Option(names = "--device", defaultValue = "cpu", description = "cpu, cuda or cuda:N (default ${DEFAULT-VALUE}).")
        String device;

        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        /** Starts libtorch and reads {@code --config} with {@code --cfg-options}. */
        DwConfig loadConfig() throws IOException {
            Torch.init();
            return DwConfig.load(config, overrides).config();
        }

        /** Builds the model of {@code cfg} (seeded initialisation) on {@code --device}. */
        DwDetector model(DwConfig cfg) {
            torch.manual_seed(0);
            DwDetector model = new DwDetector(cfg.model());
            model.moveTo(ComputeDevice.parse(device));
            return model;
        }

        /** Waits for queued GPU work, so wall-clock times measure it (no-op on the CPU). */
        void sync() {
            if (ComputeDevice.parse(device).cuda()) {
                org.bytedeco.pytorch.global.torch_cuda.device_synchronize();
            }
        }

        int[] hw() {
            String[] p = size.toLowerCase().split("x");
            int h = Integer.parseInt(p[0]), w = Integer.parseInt(p[1]);
            if (h % 32 != 0 || w % 32 != 0) {
                throw new IllegalArgumentException("--size must be HxW with multiples of 32, found " + size);
            }
            return new int[] {h, w};
        }

        void print(Map<String, Object> result) throws IOException {
            result.put("peak_rss_mb", peakRssMb());
            result.put("threads", Torch.init().threads());
            result.put("libtorch", Torch.init().pytorchVersion());
            spec.commandLine().getOut().println(new ObjectMapper().writerWithDefaultPrettyPrinter().writeValueAsString(result));
            spec.commandLine().getOut().flush();
        }
    }

    /** {@code dw bench inference}: forward and post-processing. */
    @Command(name = "inference", description = "Forward + post-processing time per batch and peak RSS.")
    static final class Inference extends Common implements java.util.concurrent.Callable<Integer> {
        @Option(names = "--weights", description = "Checkpoint to load (default: random initialisation).")
        Path weights;

        @Override
        public Integer call() throws IOException {
            DwConfig cfg = loadConfig();
            int[] hw = hw();
            DwDetector model = model(cfg);
            if (weights != null) {
                WeightLoader.loadModel(model, weights, true);
            }
            PostProcessor post = new PostProcessor(cfg.test(), Accelerated.nms());
            double[] fwd = new double[iters], pp = new double[iters];
            for (int k = -2; k < iters; k++) {
                try (TensorScope scope = TensorScope.open(); NoGradGuard g = new NoGradGuard()) {
                    Tensor x = torch.randn(batch, 3, hw[0], hw[1]);
                    long t0 = System.nanoTime();
                    List<LevelOutput> out = model.forward(x);
                    sync();
                    long t1 = System.nanoTime();
                    for (int b = 0; b < batch; b++) {
                        post.process(out, b, new ImageMeta(hw[0], hw[1], 1, 1));
                    }
                    sync();
                    long t2 = System.nanoTime();
                    if (k >= 0) {
                        fwd[k] = (t1 - t0) / 1e6;
                        pp[k] = (t2 - t1) / 1e6;
                    }
                }
            }
            Map<String, Object> r = new LinkedHashMap<>();
            r.put("config", config.toString());
            r.put("input", batch + "x3x" + hw[0] + "x" + hw[1]);
            r.put("forward_ms_median", median(fwd));
            r.put("postprocess_ms_median", median(pp));
            r.put("total_ms_median", median(fwd) + median(pp));
            print(r);
            return 0;
        }
    }

    /** {@code dw bench train-step}: forward, loss, backward and optimizer step on random images and boxes. */
    @Command(name = "train-step", description = "Median training-step time (data excluded), its split and peak RSS.")
    static final class TrainStep extends Common implements java.util.concurrent.Callable<Integer> {
        @Option(names = "--gts", defaultValue = "7", description = "Ground-truth boxes per image (default ${DEFAULT-VALUE}).")
        int gts;

        @Override
        public Integer call() throws IOException {
            DwConfig cfg = loadConfig();
            int[] hw = hw();
            DwDetector model = model(cfg);
            Sgd sgd = new Sgd(Sgd.groups(WeightLoader.stateOf(model), cfg.solver().weightDecay(), cfg.solver().normDecay()),
                    cfg.solver().momentum());
            Trainer trainer = new Trainer(model, new DwLoss(Accelerated.assigner(), RankAverager.SINGLE_PROCESS), sgd, new LrSchedule(1e-4, cfg.solver()), 0, 1, iters,
                    0, cfg.solver().warmupIters());
            Random r = new Random(0);
            List<StepResult> steps = new ArrayList<>();
            for (int k = -2; k < iters; k++) {
                try (TensorScope scope = TensorScope.open()) {
                    List<GroundTruth> targets = new ArrayList<>();
                    for (int b = 0; b < batch; b++) {
                        double[] boxes = new double[4 * gts];
                        long[] labels = new long[gts];
                        for (int g = 0; g < gts; g++) {
                            double w = 16 + r.nextDouble() * hw[1] / 3, h = 16 + r.nextDouble() * hw[0] / 3;
                            double x = r.nextDouble() * (hw[1] - w), y = r.nextDouble() * (hw[0] - h);
                            System.arraycopy(new double[] {x, y, x + w, y + h}, 0, boxes, 4 * g, 4);
                            labels[g] = r.nextInt(cfg.model().numClasses());
                        }
                        targets.add(new GroundTruth(Tensors.of(boxes, ScalarType.Float, gts, 4), Tensors.ofLongs(labels, gts)));
                    }
                    StepResult s = trainer.step(new TrainBatch(torch.randn(batch, 3, hw[0], hw[1]), targets), 0, 0);
                    if (k >= 0) {
                        steps.add(s);
                    }
                }
            }
            Map<String, Object> res = new LinkedHashMap<>();
            res.put("config", config.toString());
            res.put("input", batch + "x3x" + hw[0] + "x" + hw[1]);
            res.put("gts_per_image", gts);
            res.put("step_ms_median", median(steps.stream().mapToDouble(StepResult::stepMs).toArray()));
            res.put("forward_ms_median", median(steps.stream().mapToDouble(StepResult::forwardMs).toArray()));
            res.put("loss_ms_median", median(steps.stream().mapToDouble(StepResult::lossMs).toArray()));
            res.put("backward_ms_median", median(steps.stream().mapToDouble(StepResult::backwardMs).toArray()));
            res.put("optimizer_ms_median", median(steps.stream().mapToDouble(StepResult::optimMs).toArray()));
            print(res);
            return 0;
        }
    }

    /** {@code dw bench data}: decode + resize + flip + normalise + collate throughput of the training loader. */
    @Command(name = "data", description = "Training data pipeline throughput on 640×480 JPEGs (→ 1067×800), images/s as JSON.")
    static final class Data implements java.util.concurrent.Callable<Integer> {
        @Option(names = "--images", defaultValue = "96", description = "JPEGs to generate (default ${DEFAULT-VALUE}).")
        int images;

        @Option(names = "--workers", defaultValue = "2", description = "Loader threads (default ${DEFAULT-VALUE}).")
        int workers;

        @Option(names = "--dir", description = "Where to write the images (default: a temporary folder).")
        Path dir;

        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() throws Exception {
            Torch.init();
            Path root = dir != null ? dir : Files.createTempDirectory("dw-bench-data");
            Path ann = writeJpegs(root, images);
            dev.dwjava.data.coco.CocoDataset ds = dev.dwjava.data.coco.CocoDataset.load(ann, root, true);
            dev.dwjava.data.loader.Augmentation aug = new dev.dwjava.data.loader.Augmentation(1333, 800, 800, 0.5);
            double best = 0;
            try (dev.dwjava.data.loader.DetectionLoader loader = new dev.dwjava.data.loader.DetectionLoader(ds, aug, 2, workers, 0, true, 0, 1)) {
                for (int epoch = 0; epoch < 3; epoch++) {
                    long t0 = System.nanoTime();
                    int n = 0;
                    for (var it = loader.epoch(epoch); it.hasNext(); ) {
                        try (TensorScope scope = TensorScope.open()) {
                            n += it.next().metas().size();
                        }
                    }
                    best = Math.max(best, n / ((System.nanoTime() - t0) / 1e9));
                }
            }
            Map<String, Object> r = new LinkedHashMap<>();
            r.put("images", images);
            r.put("workers", workers);
            r.put("pipeline", "JPEG 640x480 decode, resize to 1067x800, flip 0.5, normalize, pad, collate (batch 2)");
            r.put("images_per_s", best);
            r.put("peak_rss_mb", peakRssMb());
            spec.commandLine().getOut().println(new ObjectMapper().writerWithDefaultPrettyPrinter().writeValueAsString(r));
            spec.commandLine().getOut().flush();
            return 0;
        }

        /** Photo-like 640×480 JPEGs (smooth gradients, shapes, noise) and a COCO file with one box each. */
        static Path writeJpegs(Path root, int n) throws IOException {
            Random r = new Random(0);
            StringBuilder imgs = new StringBuilder(), anns = new StringBuilder();
            for (int i = 0; i < n; i++) {
                BufferedImage img = new BufferedImage(640, 480, BufferedImage.TYPE_INT_RGB);
                java.awt.Graphics2D g = img.createGraphics();
                g.setPaint(new java.awt.GradientPaint(0, 0, new java.awt.Color(r.nextInt(1 << 24)), 640, 480,
                        new java.awt.Color(r.nextInt(1 << 24))));
                g.fillRect(0, 0, 640, 480);
                for (int k = 0; k < 8; k++) {
                    g.setColor(new java.awt.Color(r.nextInt(1 << 24)));
                    g.fillOval(r.nextInt(600), r.nextInt(440), 20 + r.nextInt(200), 20 + r.nextInt(200));
                }
                g.dispose();
                for (int k = 0; k < 20000; k++) {
                    int x = r.nextInt(640), y = r.nextInt(480);
                    img.setRGB(x, y, img.getRGB(x, y) ^ 0x0f0f0f);
                }
                javax.imageio.ImageIO.write(img, "jpg", root.resolve(i + ".jpg").toFile());
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

    static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s.length == 0 ? Double.NaN : s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }

    /** Peak resident set size (VmHWM) of this process in MiB, or -1 where /proc is unavailable. */
    static long peakRssMb() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("VmHWM:")) {
                    return Long.parseLong(line.replaceAll("\\D", "")) / 1024;
                }
            }
        } catch (IOException | NumberFormatException e) {
            return -1;
        }
        return -1;
    }
}
