package dev.dwjava.train.app;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import javax.imageio.ImageIO;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.dwjava.core.dw.DwLoss;
import dev.dwjava.core.image.ImageDecoder;
import dev.dwjava.core.image.RgbImage;
import dev.dwjava.core.runtime.ComputeDevice;
import dev.dwjava.core.runtime.Torch;
import dev.dwjava.data.coco.CocoDataset;
import dev.dwjava.data.loader.Augmentation;
import dev.dwjava.data.loader.DetectionLoader;
import dev.dwjava.data.synthetic.SyntheticCoco;
import dev.dwjava.eval.coco.CocoEvalResult;
import dev.dwjava.eval.test.DatasetTester;
import dev.dwjava.kernels.Ops;
import dev.dwjava.model.DwDetector;
import dev.dwjava.model.inference.Detection;
import dev.dwjava.model.inference.Detector;
import dev.dwjava.model.inference.DetectionPainter;
import dev.dwjava.model.inference.TestPipeline;
import dev.dwjava.model.weights.LoadReport;
import dev.dwjava.model.weights.WeightLoader;
import dev.dwjava.train.config.DataConfig;
import dev.dwjava.train.config.DwConfig;
import dev.dwjava.train.dist.Collectives;
import dev.dwjava.train.dist.DistEnv;
import dev.dwjava.train.dist.GradientAverager;
import dev.dwjava.train.dist.RankMean;
import dev.dwjava.train.engine.CheckpointHook;
import dev.dwjava.train.engine.Checkpoints;
import dev.dwjava.train.engine.MetricsLog;
import dev.dwjava.train.engine.ProgressLogger;
import dev.dwjava.train.engine.TrainHook;
import dev.dwjava.train.engine.TrainingDivergedException;
import dev.dwjava.train.engine.WorkDirLock;
import dev.dwjava.train.engine.Trainer;
import dev.dwjava.train.solver.LrSchedule;
import dev.dwjava.train.solver.Sgd;
import dev.dwjava.core.tensor.Tensors;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;

/**
 * A whole training run from a config: data (generated first when the config asks for synthetic data), model and
 * pretrained backbone, SGD with the scaled learning rate, resume, the hooks (log, metrics, plot, checkpoints,
 * evaluation), and at the end {@code eval.json} and a picture of predictions.
 */
public final class TrainRunner {
    private final DwConfig.Loaded loaded;
    private final Path workDir;
    private final PrintStream out;
    private final Collectives collectives;

    public TrainRunner(DwConfig.Loaded loaded, Path workDir, PrintStream out) {
        this(loaded, workDir, out, Collectives.SINGLE);
    }

    /**
     * @param collectives the process group of a data-parallel run: every rank trains on its share of each epoch,
     *                    gradients and the DW normalisers are averaged, rank 0 alone logs, checkpoints and evaluates
     */
    public TrainRunner(DwConfig.Loaded loaded, Path workDir, PrintStream out, Collectives collectives) {
        this.loaded = loaded;
        this.workDir = workDir;
        this.out = out;
        this.collectives = collectives;
    }

    /**
     * @param resume a checkpoint to continue from, or null
     * @return the final evaluation (null when the config evaluates never)
     */
    public CocoEvalResult run(Path resume) throws IOException {
        Torch.init();
        if (collectives.rank() != 0) {
            return runLocked(resume);
        }
        // Rank 0 owns the work dir: one run at a time, and an unwritable dir fails before anything is read.
        try (WorkDirLock lock = WorkDirLock.acquire(workDir)) {
            return runLocked(resume);
        }
    }

    private CocoEvalResult runLocked(Path resume) throws IOException {
        DwConfig cfg = loaded.config();
        boolean main = collectives.rank() == 0;
        if (main) {
            prepareSynthetic(cfg.data());
        }
        collectives.barrier();
        CocoDataset train = CocoDataset.load(Path.of(cfg.data().train().annotations()), Path.of(cfg.data().train().images()), true,
                cfg.data().linksOutsideRoot());
        CocoDataset val = CocoDataset.load(Path.of(cfg.data().val().annotations()), Path.of(cfg.data().val().images()), false,
                cfg.data().linksOutsideRoot());
        out.println("train: " + train);
        out.println("val:   " + val);
        // classes has model.num_classes names (DwConfig checks), so this also checks the number of categories.
        train.checkClasses(cfg.classes(), loaded.tree().file() + ": classes");
        val.checkClasses(cfg.classes(), loaded.tree().file() + ": classes");
        if (train.size() == 0) {
            throw new IllegalArgumentException(cfg.data().train().annotations() + " has no training image left after the filters "
                    + "(images without annotations or under 32 px are dropped): " + train + "; nothing to train on");
        }
        if (val.size() == 0 && cfg.runtime().evalInterval() > 0) {
            throw new IllegalArgumentException(cfg.data().val().annotations() + " has no images to evaluate on; fix data.val or set"
                    + " runtime.eval_interval=0");
        }

        torch.manual_seed(cfg.runtime().seed());
        DwDetector model = new DwDetector(cfg.model());
        if (cfg.runtime().pretrained() != null && resume == null) {
            LoadReport r = WeightLoader.loadTorchvisionBackbone(model, PretrainedWeights.resolve(cfg.runtime().pretrained()));
            out.println("pretrained backbone: " + r);
        }
        ComputeDevice device = cfg.runtime().computeDevice().forLocalRank(DistEnv.fromEnvironment(System.getenv()).localRank());
        model.moveTo(device);
        out.println("device: " + device);
        int totalBatch = cfg.data().imagesPerProcess() * collectives.worldSize();
        double lr = cfg.solver().scaledLr(totalBatch);
        out.printf("total batch %d = %d processes × %d (lr %.5g = %.5g × %d / %d, linear scaling rule)%n", totalBatch,
                collectives.worldSize(), cfg.data().imagesPerProcess(), lr, cfg.solver().lr(), totalBatch, cfg.solver().baseBatch());
        Sgd sgd = new Sgd(Sgd.groups(WeightLoader.stateOf(model), cfg.solver().weightDecay(), cfg.solver().normDecay()),
                cfg.solver().momentum());
        int startEpoch = 0;
        long startIter = 0;
        if (resume != null) {
            Checkpoints.Meta meta = Checkpoints.load(resume, model, sgd);
            startEpoch = meta.epoch();
            startIter = meta.iter();
            out.println("resumed from " + resume + " (epoch " + meta.epoch() + ", iteration " + meta.iter() + ")");
        }
        if (main) {
            // The run has started: its config goes next to its checkpoints (a run that failed before left them alone),
            // and a resumed run's metrics lose the records of iterations it is about to repeat.
            Checkpoints.writeAtomically(workDir.resolve("config.yaml"), loaded.yaml());
            MetricsLog.keepUpTo(workDir.resolve("metrics.jsonl"), startIter);
        }
        if (collectives.worldSize() > 1) {
            // Rank 0 decides where the run starts: on other nodes the work dir may hold no checkpoint (or another).
            Tensor point = Tensors.of(new double[] {startEpoch, startIter, sgd.state().isEmpty() ? 0 : 1}, ScalarType.Double, 3)
                    .to(WeightLoader.stateOf(model).values().iterator().next().device(), ScalarType.Double);
            collectives.broadcast(List.of(point), 0);
            double[] at = Tensors.toDoubles(point);
            startEpoch = (int) at[0];
            startIter = (long) at[1];
            if (at[2] != 0) {
                sgd.ensureState();   // the same buffers on every rank, filled from rank 0's below
            }
        }
        // Every rank starts from rank 0's weights and optimizer state.
        collectives.broadcast(new ArrayList<>(WeightLoader.stateOf(model).values()), 0);
        if (!sgd.state().isEmpty()) {
            collectives.broadcast(new ArrayList<>(sgd.state().values()), 0);
        }

        DataConfig.Scale ts = cfg.data().trainScale();
        Augmentation trainAug = new Augmentation(ts.longEdge(), ts.minShort(), ts.maxShort(), cfg.data().flip());
        try (DetectionLoader loader = new DetectionLoader(train, trainAug, cfg.data().imagesPerProcess(), cfg.data().workers(),
                cfg.runtime().seed(), true, collectives.rank(), collectives.worldSize(), cfg.data().ignoreOrientation());
             MetricsLog metrics = main ? new MetricsLog(workDir.resolve("metrics.jsonl")) : null) {   // rank 0 alone writes
            // On a GPU the fused DW weighting and NMS kernels run when the jar carries them; libtorch otherwise.
            Ops ops = Ops.forDevice(device);
            DwLoss loss = new DwLoss(ops.assigner(), new RankMean(collectives));
            Trainer trainer = new Trainer(model, loss, sgd, new LrSchedule(lr, cfg.solver()), cfg.solver().gradClip(),
                    cfg.solver().epochs(), loader.batchesPerEpoch(), startEpoch, startIter);
            if (collectives.worldSize() > 1) {
                trainer.withGradientSync(new GradientAverager(collectives, 25L << 20));
            }
            if (main) {
                trainer.addHook(new ProgressLogger(cfg.runtime().logInterval(), out, metrics, workDir.resolve("loss_curve.png")));
                Checkpoints checkpoints = new Checkpoints(workDir, cfg.runtime().keepCheckpoints());
                trainer.addHook(new CheckpointHook(checkpoints, cfg.runtime().checkpointInterval(),
                        epoch -> new Checkpoints.Meta(epoch, trainer.iteration(), cfg.runtime().seed(), loaded.yaml(),
                                Torch.init().toString()), out));
                if (cfg.runtime().evalInterval() > 0) {
                    trainer.addHook(evalHook(cfg, val, metrics, ops));
                }
            }
            // The other ranks wait while rank 0 checkpoints and evaluates.
            trainer.addHook(new TrainHook() {
                @Override
                public void afterEpoch(Trainer t, int epoch) {
                    collectives.barrier();
                }
            });
            try {
                trainer.train(loader::epoch);
            } catch (TrainingDivergedException e) {
                // Say what there is to go back to: the trainer does not know the work dir.
                java.util.Optional<Path> last = main ? new Checkpoints(workDir, 1).latest() : java.util.Optional.empty();
                throw new TrainingDivergedException(e.getMessage() + (last.isPresent()
                        ? " The last good checkpoint is " + last.get() + " (resume with --resume " + last.get() + ")."
                        : main ? " No checkpoint was saved before this point." : ""));
            }
        }
        if (!main) {
            return null;
        }
        CocoEvalResult result = lastEval;
        if (result != null) {
            Map<String, Object> eval = new LinkedHashMap<>();
            eval.put("bbox", result.toMap());
            new ObjectMapper().writerWithDefaultPrettyPrinter().writeValue(workDir.resolve("eval.json").toFile(), eval);
        }
        drawPredictions(model, val);
        return result;
    }

    private CocoEvalResult lastEval;

    private TrainHook evalHook(DwConfig cfg, CocoDataset val, MetricsLog metrics, Ops ops) {
        return new TrainHook() {
            @Override
            public void afterEpoch(Trainer t, int epoch) {
                int done = epoch + 1;
                if (done % cfg.runtime().evalInterval() != 0 && done != t.epochs()) {
                    return;
                }
                try {
                    out.println("Evaluating on " + val.size() + " val images after epoch " + done);
                    lastEval = new DatasetTester(t.model(), cfg.test(), loaded.testPipeline(), cfg.data().workers(),
                            ops.nms()).run(val, 0, null, out);
                    out.print(lastEval.summary());
                    Map<String, Object> m = new LinkedHashMap<>();
                    m.put("epoch", done);
                    m.put("iter", t.iteration());
                    double[] st = lastEval.stats();
                    String[] names = {"bbox_mAP", "bbox_mAP_50", "bbox_mAP_75", "bbox_mAP_s", "bbox_mAP_m", "bbox_mAP_l"};
                    for (int k = 0; k < names.length; k++) {
                        m.put(names[k], st[k]);
                    }
                    metrics.write("val", m);
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            }
        };
    }

    /** Marks a folder as a dataset dw-java generated, so that regenerating into it can never overwrite a user's data. */
    static final String SYNTHETIC_MARKER = ".dw-synthetic";

    /**
     * Generates the synthetic dataset of {@code data.synthetic} when its files are absent, only into a folder of its
     * own: the split paths must be the generated layout ({@code ROOT/annotations/instances_{train,val}.json},
     * {@code ROOT/train}, {@code ROOT/val}), and ROOT must be absent, empty or generated by us before. A user's data
     * folder (one without our marker) is never written; a missing annotation file there is an error.
     */
    private void prepareSynthetic(DataConfig data) throws IOException {
        if (data.synthetic() == null) {
            return;
        }
        Path trainAnn = Path.of(data.train().annotations()).toAbsolutePath().normalize();
        Path valAnn = Path.of(data.val().annotations()).toAbsolutePath().normalize();
        Path root = trainAnn.getParent() == null || trainAnn.getParent().getParent() == null ? null : trainAnn.getParent().getParent();
        java.util.Map<String, Path> layout = new java.util.LinkedHashMap<>();
        if (root != null) {
            layout.put("data.train.annotations", root.resolve("annotations/instances_train.json"));
            layout.put("data.val.annotations", root.resolve("annotations/instances_val.json"));
            layout.put("data.train.images", root.resolve("train"));
            layout.put("data.val.images", root.resolve("val"));
        }
        java.util.Map<String, Path> given = java.util.Map.of("data.train.annotations", trainAnn, "data.val.annotations", valAnn,
                "data.train.images", Path.of(data.train().images()).toAbsolutePath().normalize(),
                "data.val.images", Path.of(data.val().images()).toAbsolutePath().normalize());
        for (var e : layout.entrySet()) {
            if (!e.getValue().equals(given.get(e.getKey()))) {
                throw new IllegalArgumentException(loaded.tree().file() + ": data.synthetic generates the layout ROOT/annotations/"
                        + "instances_{train,val}.json, ROOT/train, ROOT/val, but " + e.getKey() + " is " + given.get(e.getKey())
                        + " (expected " + e.getValue() + "): point all four paths into one folder of their own, or set data.synthetic: null");
            }
        }
        if (root == null) {
            throw new IllegalArgumentException(loaded.tree().file() + ": data.train.annotations " + trainAnn + " is not ROOT/annotations/...");
        }
        if (Files.isRegularFile(trainAnn) && Files.isRegularFile(valAnn)) {
            return;
        }
        boolean ours = Files.isRegularFile(root.resolve(SYNTHETIC_MARKER));
        if (Files.exists(root) && !ours && !isEmptyDirectory(root)) {
            Path missing = Files.isRegularFile(trainAnn) ? valAnn : trainAnn;
            throw new IllegalArgumentException("annotation file not found: " + missing + "; data.synthetic would generate a dataset"
                    + " there, but " + root + " holds other files and was not generated by dw-java, so nothing is written into it:"
                    + " fix the data paths, or point them into a new folder (e.g. under work_dirs/)");
        }
        DataConfig.Synthetic s = data.synthetic();
        out.printf("Generating the synthetic dataset in %s (%d train, %d val images of %d px, seed %d) ...%n", root, s.train(),
                s.val(), s.size(), s.seed());
        Files.createDirectories(root);
        Files.writeString(root.resolve(SYNTHETIC_MARKER), "generated by dw-java (data.synthetic); safe to delete with the folder\n");
        SyntheticCoco.generate(root, s.train(), s.val(), s.size(), s.seed());
    }

    private static boolean isEmptyDirectory(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            return false;
        }
        try (java.util.stream.Stream<Path> files = Files.list(dir)) {
            return files.findAny().isEmpty();
        }
    }

    /** Draws the predictions on the first val images into {@code predictions.png} (a 2×2 grid). */
    private void drawPredictions(DwDetector model, CocoDataset val) throws IOException {
        DwConfig cfg = loaded.config();
        TestPipeline pipeline = loaded.testPipeline();
        Detector detector = new Detector(model, cfg.test(), pipeline, cfg.classes());
        List<BufferedImage> tiles = new ArrayList<>();
        for (int i = 0; i < Math.min(4, val.size()); i++) {
            RgbImage px = ImageDecoder.decode(val.entries().get(i).file(), pipeline.ignoreOrientation());
            BufferedImage img = px.toBufferedImage();
            // Small images are enlarged (nearest neighbour) so that labels stay readable.
            double f = Math.max(1, Math.floor(384.0 / Math.max(img.getWidth(), img.getHeight())));
            BufferedImage big = new BufferedImage((int) (img.getWidth() * f), (int) (img.getHeight() * f), BufferedImage.TYPE_INT_RGB);
            var bg = big.createGraphics();
            bg.drawImage(img, 0, 0, big.getWidth(), big.getHeight(), null);
            bg.dispose();
            List<Detection> dets = detector.detect(px).stream().filter(d -> d.score() > 0.3)
                    .map(d -> new Detection((float) (d.x1() * f), (float) (d.y1() * f), (float) (d.x2() * f), (float) (d.y2() * f),
                            d.score(), d.classId(), d.className())).toList();
            tiles.add(DetectionPainter.draw(big, dets));
        }
        if (tiles.isEmpty()) {
            return;
        }
        int tw = tiles.stream().mapToInt(BufferedImage::getWidth).max().orElse(1);
        int th = tiles.stream().mapToInt(BufferedImage::getHeight).max().orElse(1);
        BufferedImage grid = new BufferedImage(2 * tw, 2 * th, BufferedImage.TYPE_INT_RGB);
        var g = grid.createGraphics();
        for (int i = 0; i < tiles.size(); i++) {
            g.drawImage(tiles.get(i), (i % 2) * tw, (i / 2) * th, null);
        }
        g.dispose();
        ImageIO.write(grid, "png", workDir.resolve("predictions.png").toFile());
    }
}
