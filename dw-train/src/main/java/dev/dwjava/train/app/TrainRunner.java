package dev.dwjava.train.app;

import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.dwjava.core.dw.DwLoss;
import dev.dwjava.core.runtime.ComputeDevice;
import dev.dwjava.core.runtime.Precision;
import dev.dwjava.core.runtime.Torch;
import dev.dwjava.core.tensor.Tensors;
import dev.dwjava.data.coco.CocoDataset;
import dev.dwjava.data.loader.Augmentation;
import dev.dwjava.data.loader.DetectionLoader;
import dev.dwjava.eval.coco.CocoEvalResult;
import dev.dwjava.eval.test.DatasetTester;
import dev.dwjava.eval.test.ShardedTester;
import dev.dwjava.kernels.Ops;
import dev.dwjava.model.DwDetector;
import dev.dwjava.model.inference.Detector;
import dev.dwjava.model.weights.LoadReport;
import dev.dwjava.model.weights.WeightLoader;
import dev.dwjava.train.config.CheckpointInterval;
import dev.dwjava.train.config.DataConfig;
import dev.dwjava.train.config.DwConfig;
import dev.dwjava.train.config.RuntimeConfig;
import dev.dwjava.train.dist.CollectiveShardGroup;
import dev.dwjava.train.dist.Collectives;
import dev.dwjava.train.dist.DistEnv;
import dev.dwjava.train.dist.GradientAverager;
import dev.dwjava.train.dist.RankMean;
import dev.dwjava.train.engine.BestCheckpoint;
import dev.dwjava.train.engine.CheckpointHook;
import dev.dwjava.train.engine.Checkpoints;
import dev.dwjava.train.engine.MetricsLog;
import dev.dwjava.train.engine.ProgressLogger;
import dev.dwjava.train.engine.TrainHook;
import dev.dwjava.train.engine.TrainState;
import dev.dwjava.train.engine.Trainer;
import dev.dwjava.train.engine.TrainingDivergedException;
import dev.dwjava.train.engine.WorkDirLock;
import dev.dwjava.train.logging.TensorBoardHook;
import dev.dwjava.train.solver.ExpMomentumEma;
import dev.dwjava.train.solver.LossScaler;
import dev.dwjava.train.solver.LrSchedule;
import dev.dwjava.train.solver.Optimizer;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;

/**
 * A whole training run from a config, as small steps a user can call or override from Java (in the manner of
 * detectron2's {@code DefaultTrainer}): {@link #buildDatasets}, {@link #buildModel}, {@link #buildOptimizer},
 * {@link #buildEma}, {@link #buildLossScaler}, {@link #buildTrainLoader}, {@link #buildLoss}, {@link #buildTrainer},
 * {@link #buildHooks} and {@link #test}.
 * {@link #run} puts them together: data (generated first when the config asks for synthetic data), model and
 * pretrained backbone, SGD with the scaled learning rate, resume, the hooks (log, metrics, plot, checkpoints,
 * evaluation), and at the end {@code eval.json} and a picture of predictions.
 *
 * <p>In a data-parallel run every rank trains on its share of each epoch and evaluates its shard of the val split;
 * rank 0 alone owns the work dir (lock, logs, checkpoints, the evaluation's numbers).
 */
public class TrainRunner {
    protected final DwConfig.Loaded loaded;
    protected final Path workDir;
    protected final PrintStream out;
    protected final Collectives collectives;
    private CocoEvalResult lastEval;
    private Ops ops;

    public TrainRunner(DwConfig.Loaded loaded, Path workDir, PrintStream out) {
        this(loaded, workDir, out, Collectives.SINGLE);
    }

    /**
     * @param collectives the process group of a data-parallel run: gradients and the DW normalisers are averaged over
     *                    it, evaluation is sharded over it
     */
    public TrainRunner(DwConfig.Loaded loaded, Path workDir, PrintStream out, Collectives collectives) {
        this.loaded = loaded;
        this.workDir = workDir;
        this.out = out;
        this.collectives = collectives;
    }

    /** The train and val splits of a run. */
    public record Datasets(CocoDataset train, CocoDataset val) {}

    /**
     * Where a run starts: the first epoch to run, the global iteration counter at that point, and the batches of that
     * epoch already done (a resume from a mid-epoch checkpoint; 0 otherwise).
     */
    public record StartPoint(int epoch, long iteration, int batch) {
        public static final StartPoint FRESH = new StartPoint(0, 0, 0);

        public StartPoint(int epoch, long iteration) {
            this(epoch, iteration, 0);
        }
    }

    /**
     * @param resume a checkpoint to continue from, or null
     * @return the final evaluation (null when the config evaluates never, and on ranks other than 0)
     */
    public CocoEvalResult run(Path resume) throws IOException {
        Torch.init();
        if (!isMain()) {
            return runLocked(resume);
        }
        // Rank 0 owns the work dir: one run at a time, and an unwritable dir fails before anything is read.
        try (WorkDirLock lock = WorkDirLock.acquire(workDir)) {
            return runLocked(resume);
        }
    }

    private CocoEvalResult runLocked(Path resume) throws IOException {
        DwConfig cfg = loaded.config();
        Datasets data = buildDatasets();
        DwDetector model = buildModel(resume == null);
        Optimizer sgd = buildOptimizer(model);
        try (ExpMomentumEma ema = buildEma(model)) {
            return train(data, new TrainState(model, sgd, ema, buildLossScaler()), resume);
        }
    }

    private CocoEvalResult train(Datasets data, TrainState state, Path resume) throws IOException {
        DwConfig cfg = loaded.config();
        StartPoint start = resume(resume, state);
        if (isMain()) {
            // The run has started: its config goes next to its checkpoints (a run that failed before left them alone),
            // and a resumed run's metrics lose the records of iterations it is about to repeat.
            Checkpoints.writeAtomically(workDir.resolve("config.yaml"), loaded.yaml());
            MetricsLog.keepUpTo(workDir.resolve("metrics.jsonl"), start.iteration());
        }
        try (DetectionLoader loader = buildTrainLoader(data.train());
             MetricsLog metrics = isMain() ? new MetricsLog(workDir.resolve("metrics.jsonl")) : null) {   // rank 0 alone writes
            Trainer trainer = buildTrainer(state, buildLoss(), loader.batchesPerEpoch(), start);
            buildHooks(trainer, data.val(), metrics).forEach(trainer::addHook);
            try {
                trainer.train(Trainer.EpochData.seekable(loader::epoch));
            } catch (TrainingDivergedException e) {
                throw withLastCheckpoint(e);
            }
        }
        if (!isMain()) {
            return null;
        }
        if (lastEval != null) {
            Map<String, Object> eval = new LinkedHashMap<>();
            eval.put("bbox", lastEval.toMap());
            new ObjectMapper().writerWithDefaultPrettyPrinter().writeValue(workDir.resolve("eval.json").toFile(), eval);
        }
        PredictionGrid.write(new Detector(state.evaluatedModel(), cfg.test(), loaded.testPipeline(), cfg.classes()), data.val(), 0.3,
                workDir.resolve("predictions.png"));
        return lastEval;
    }

    /** Whether this process is rank 0, the one that writes the work dir. */
    protected final boolean isMain() {
        return collectives.rank() == 0;
    }

    /** The device this rank trains on: {@code runtime.device}, the local rank's GPU on a multi-GPU node. */
    public ComputeDevice device() {
        return loaded.config().runtime().computeDevice().forLocalRank(DistEnv.fromEnvironment(System.getenv()).localRank());
    }

    /**
     * The train and val splits, checked against the config's classes; rank 0 first generates the synthetic dataset
     * when the config has one and its files are absent.
     */
    public Datasets buildDatasets() throws IOException {
        DataConfig data = loaded.config().data();
        if (isMain()) {
            SyntheticData.prepare(data, loaded.tree().file(), out);
        }
        collectives.barrier();
        CocoDataset train = CocoDataset.load(Path.of(data.train().annotations()), Path.of(data.train().images()), true,
                data.linksOutsideRoot());
        CocoDataset val = CocoDataset.load(Path.of(data.val().annotations()), Path.of(data.val().images()), false,
                data.linksOutsideRoot());
        out.println("train: " + train);
        out.println("val:   " + val);
        // classes has model.num_classes names (DwConfig checks), so this also checks the number of categories.
        train.checkClasses(loaded.config().classes(), loaded.tree().file() + ": classes");
        val.checkClasses(loaded.config().classes(), loaded.tree().file() + ": classes");
        if (train.size() == 0) {
            throw new IllegalArgumentException(data.train().annotations() + " has no training image left after the filters "
                    + "(images without annotations or under 32 px are dropped): " + train + "; nothing to train on");
        }
        if (val.size() == 0 && loaded.config().runtime().evalInterval() > 0) {
            throw new IllegalArgumentException(data.val().annotations() + " has no images to evaluate on; fix data.val or set"
                    + " runtime.eval_interval=0");
        }
        return new Datasets(train, val);
    }

    /**
     * The detector of {@code model}, seeded with {@code runtime.seed}, on {@link #device()}.
     *
     * @param pretrained whether to load {@code runtime.pretrained} into the backbone (not when resuming)
     */
    public DwDetector buildModel(boolean pretrained) throws IOException {
        DwConfig cfg = loaded.config();
        torch.manual_seed(cfg.runtime().seed());
        DwDetector model = new DwDetector(cfg.model());
        if (pretrained && cfg.runtime().pretrained() != null) {
            LoadReport r = WeightLoader.loadTorchvisionBackbone(model, PretrainedWeights.resolve(cfg.runtime().pretrained()));
            out.println("pretrained backbone: " + r);
        }
        ComputeDevice device = device();
        model.moveTo(device);
        out.println("device: " + device);
        return model;
    }

    /**
     * The optimizer of {@code solver.optimizer} (the paper's SGD with momentum, or AdamW); weight decay per parameter
     * group ({@code solver.norm_decay} for norm layers).
     */
    public Optimizer buildOptimizer(DwDetector model) {
        return Optimizer.of(loaded.config().solver(), WeightLoader.stateOf(model));
    }

    /**
     * The weight average of {@code runtime.ema} (starting from {@code model}'s weights, on its device), or null when
     * the config has none.
     */
    public ExpMomentumEma buildEma(DwDetector model) {
        RuntimeConfig.Ema e = loaded.config().runtime().ema();
        if (e == null) {
            return null;
        }
        ExpMomentumEma ema = new ExpMomentumEma(model, e.momentum(), e.gamma(), e.interval(), e.updateBuffers());
        out.println("weight average: " + ema + " (evaluated and saved in place of the trained weights)");
        return ema;
    }

    /** The dynamic loss scale fp16 training needs ({@code runtime.amp: fp16}), or null. */
    public LossScaler buildLossScaler() {
        return loaded.config().runtime().precision().needsLossScaling() ? LossScaler.dynamic() : null;
    }

    /** The learning rate scaled to the total batch of all processes (the linear scaling rule). */
    public double learningRate() {
        DwConfig cfg = loaded.config();
        return cfg.solver().scaledLr(cfg.data().imagesPerProcess() * collectives.worldSize());
    }

    /**
     * Loads {@code checkpoint} (null: a fresh start) into the model and optimizer; in a data-parallel run rank 0's
     * start point, weights and optimizer state then go to every rank (other nodes may hold no checkpoint, or another).
     */
    public StartPoint resume(Path checkpoint, TrainState state) {
        DwDetector model = state.model();
        Optimizer sgd = state.optimizer();
        StartPoint start = StartPoint.FRESH;
        if (checkpoint != null) {
            Checkpoints.Meta meta = Checkpoints.load(checkpoint, state, out);
            start = new StartPoint(meta.epoch(), meta.iter(), meta.batchInEpoch());
            out.println("resumed from " + checkpoint + " (epoch " + meta.epoch() + ", iteration " + meta.iter()
                    + (meta.batchInEpoch() > 0 ? ", " + meta.batchInEpoch() + " batches into epoch " + (meta.epoch() + 1) : "") + ")");
        }
        if (collectives.worldSize() == 1) {
            return start;
        }
        LossScaler.State scale = state.scaler() != null ? state.scaler().state() : new LossScaler.State(1, 0);
        Tensor point = Tensors.of(new double[] {start.epoch(), start.iteration(), sgd.state().isEmpty() ? 0 : 1, start.batch(),
                state.ema() != null ? state.ema().steps() : 0, scale.scale(), scale.growthTracker()},
                ScalarType.Double, 7).to(device().torchDevice(), ScalarType.Double);
        collectives.broadcast(List.of(point), 0);
        double[] at = Tensors.toDoubles(point);
        if (at[2] != 0) {
            sgd.ensureState();   // the same buffers on every rank, filled from rank 0's below
        }
        collectives.broadcast(new ArrayList<>(WeightLoader.stateOf(model).values()), 0);
        if (state.ema() != null) {
            collectives.broadcast(new ArrayList<>(state.ema().state().values()), 0);
            state.ema().restoreSteps((long) at[4]);
        }
        if (state.scaler() != null) {
            state.scaler().restore(new LossScaler.State(at[5], (int) at[6]));
        }
        if (!sgd.state().isEmpty()) {
            collectives.broadcast(new ArrayList<>(sgd.state().values()), 0);
        }
        return new StartPoint((int) at[0], (long) at[1], (int) at[3]);
    }

    /** The training loader: this rank's share of each epoch, with the config's train-time augmentation. */
    public DetectionLoader buildTrainLoader(CocoDataset train) {
        DwConfig cfg = loaded.config();
        DataConfig.Scale ts = cfg.data().trainScale();
        Augmentation aug = new Augmentation(ts.longEdge(), ts.minShort(), ts.maxShort(), cfg.data().flip());
        return new DetectionLoader(train, aug, cfg.data().imagesPerProcess(), cfg.data().workers(), cfg.runtime().seed(), true,
                collectives.rank(), collectives.worldSize(), cfg.data().ignoreOrientation());
    }

    /**
     * The ops of this rank's device, chosen once: on a GPU the fused DW weighting and NMS kernels when the jar carries
     * them, libtorch's otherwise.
     */
    public Ops ops() {
        if (ops == null) {
            ops = Ops.forDevice(device());
        }
        return ops;
    }

    /** The DW loss with {@link #ops()}' assigner, its normalisers averaged over ranks. */
    public DwLoss buildLoss() {
        return new DwLoss(ops().assigner(), new RankMean(collectives));
    }

    /**
     * The step loop, with the scaled learning rate, its schedule, gradient averaging in a data-parallel run, and the
     * state's mixed precision and weight average.
     */
    public Trainer buildTrainer(TrainState state, DwLoss loss, long batchesPerEpoch, StartPoint start) {
        DwConfig cfg = loaded.config();
        DwDetector model = state.model();
        Optimizer sgd = state.optimizer();
        double lr = learningRate();
        int totalBatch = cfg.data().imagesPerProcess() * collectives.worldSize();
        out.printf("total batch %d = %d processes × %d (lr %.5g = %.5g × %d / %d, linear scaling rule)%n", totalBatch,
                collectives.worldSize(), cfg.data().imagesPerProcess(), lr, cfg.solver().lr(), totalBatch, cfg.solver().baseBatch());
        Trainer trainer = new Trainer(model, loss, sgd, new LrSchedule(lr, cfg.solver(), batchesPerEpoch), cfg.solver().gradClip(),
                cfg.solver().epochs(), batchesPerEpoch, start.epoch(), start.iteration()).startingAtBatch(start.batch());
        if (collectives.worldSize() > 1) {
            trainer.withGradientSync(new GradientAverager(collectives, 25L << 20));
        }
        Precision precision = cfg.runtime().precision();
        if (precision != Precision.OFF) {
            out.println("mixed precision: " + precision + " autocast of the forward, fp32 weights, DW assignment and loss"
                    + (state.scaler() != null ? ", dynamic loss scale from " + (long) state.scaler().scale() : ""));
            if (precision == Precision.BF16 && !device().cuda() && !Precision.cpuHasBf16()) {
                out.println("warning: this CPU has no AVX-512 BF16 or AMX: bf16 is emulated and slower than fp32");
            }
        }
        return trainer.withPrecision(precision).withLossScaler(state.scaler()).withEma(state.ema());
    }

    /**
     * The hooks, in order: on rank 0 progress log (console, metrics, loss curve) and checkpoints; on every rank the
     * evaluation (when {@code runtime.eval_interval} &gt; 0) and, last, a barrier so that no rank runs ahead while rank
     * 0 writes.
     *
     * @param metrics rank 0's metrics log (null on the other ranks)
     */
    public List<TrainHook> buildHooks(Trainer trainer, CocoDataset val, MetricsLog metrics) {
        DwConfig cfg = loaded.config();
        List<TrainHook> hooks = new ArrayList<>();
        BestCheckpoint best = null;
        if (isMain()) {
            hooks.add(new ProgressLogger(cfg.runtime().logInterval(), out, metrics, workDir.resolve("loss_curve.png")));
            if (cfg.runtime().tensorboard()) {
                hooks.add(TensorBoardHook.attach(workDir.resolve("tf_logs"), metrics));   // metrics.jsonl's records, as scalars
            }
            Checkpoints checkpoints = new Checkpoints(workDir, cfg.runtime().keepCheckpoints());
            Checkpoints.RunInfo run = new Checkpoints.RunInfo(cfg.runtime().seed(), loaded.yaml(), Torch.init().toString());
            CheckpointInterval every = cfg.runtime().checkpointInterval();
            hooks.add(new CheckpointHook(checkpoints, every.epochs(), every.iters(), run, out));
            if (cfg.runtime().saveBest() != null) {
                best = new BestCheckpoint(checkpoints, cfg.runtime().saveBest(), run, trainer.iteration(), out);
            }
        }
        if (cfg.runtime().evalInterval() > 0) {
            hooks.add(evalHook(val, metrics, best));
        }
        hooks.add(new TrainHook() {
            @Override
            public void afterEpoch(Trainer t, int epoch) {
                collectives.barrier();
            }
        });
        return hooks;
    }

    /**
     * Evaluates {@code model} on {@code val}: every rank infers its shard, rank 0 evaluates the gathered detections
     * (the same results and AP as one process).
     *
     * @return the evaluation on rank 0, null on the other ranks
     */
    public CocoEvalResult test(DwDetector model, CocoDataset val) throws IOException {
        DwConfig cfg = loaded.config();
        DatasetTester tester = new DatasetTester(model, cfg.test(), loaded.testPipeline(), cfg.data().workers(), ops().nms());
        try {
            return ShardedTester.run(tester, val, new CollectiveShardGroup(collectives, device()), null, true,
                    isMain() ? out : null).evaluation();
        } finally {
            // The next evaluation sees other weights: drop the inference-only transforms rather than carry them
            // through the training epochs.
            model.releaseDerived();
        }
    }

    /** @param best rank 0's best-checkpoint keeper, told every evaluation (null: none) */
    private TrainHook evalHook(CocoDataset val, MetricsLog metrics, BestCheckpoint best) {
        int interval = loaded.config().runtime().evalInterval();
        return new TrainHook() {
            @Override
            public void afterEpoch(Trainer t, int epoch) {
                int done = epoch + 1;
                if (done % interval != 0 && done != t.epochs()) {
                    return;
                }
                try {
                    out.println("Evaluating on " + val.size() + " val images after epoch " + done
                            + (collectives.worldSize() > 1 ? " (sharded over " + collectives.worldSize() + " processes)" : ""));
                    CocoEvalResult r = test(t.state().evaluatedModel(), val);
                    if (r == null) {
                        return;   // not rank 0
                    }
                    lastEval = r;
                    out.print(r.summary());
                    Map<String, Object> m = new LinkedHashMap<>();
                    m.put("epoch", done);
                    m.put("iter", t.iteration());
                    double[] st = r.stats();
                    String[] names = {"bbox_mAP", "bbox_mAP_50", "bbox_mAP_75", "bbox_mAP_s", "bbox_mAP_m", "bbox_mAP_l"};
                    for (int k = 0; k < names.length; k++) {
                        m.put(names[k], st[k]);
                    }
                    metrics.write("val", m);
                    if (best != null) {
                        best.evaluated(t, done, m);
                    }
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }
        };
    }

    /** The divergence message, with what there is to go back to (the trainer does not know the work dir). */
    private TrainingDivergedException withLastCheckpoint(TrainingDivergedException e) {
        Optional<Path> last = isMain() ? new Checkpoints(workDir, 1).latest() : Optional.empty();
        return new TrainingDivergedException(e.getMessage() + (last.isPresent()
                ? " The last good checkpoint is " + last.get() + " (resume with --resume " + last.get() + ")."
                : isMain() ? " No checkpoint was saved before this point." : ""));
    }
}
