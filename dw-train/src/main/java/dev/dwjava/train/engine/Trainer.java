package dev.dwjava.train.engine;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;

import dev.dwjava.core.dw.DwLoss;
import dev.dwjava.core.dw.DwLossResult;
import dev.dwjava.core.dw.GroundTruth;
import dev.dwjava.core.runtime.Autocast;
import dev.dwjava.core.runtime.Precision;
import dev.dwjava.core.runtime.TensorScope;
import dev.dwjava.data.loader.DetectionBatch;
import dev.dwjava.model.DwDetector;
import dev.dwjava.model.head.HeadOutputs;
import dev.dwjava.model.head.LevelOutput;
import dev.dwjava.model.nn.WinogradTape;
import dev.dwjava.train.solver.ExpMomentumEma;
import dev.dwjava.train.solver.LossScaler;
import dev.dwjava.train.solver.LrSchedule;
import dev.dwjava.train.solver.Optimizer;
import dev.dwjava.core.tensor.Tensors;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;

/**
 * Runs the training step (forward → DW loss → backward → SGD) over epochs of batches; everything else is a
 * {@link TrainHook}. Each step runs in its own native-memory scope, so memory stays flat over a long run.
 */
public final class Trainer {
    /** Supplies the batches of one epoch (the sampler's order for that epoch). */
    @FunctionalInterface
    public interface EpochData {
        Iterator<DetectionBatch> epoch(int epoch);

        /**
         * The batches of {@code epoch} after its first {@code fromBatch} (a resume in the middle of an epoch). This
         * default draws and drops them; data that can start anywhere says so with {@link #seekable}.
         */
        default Iterator<DetectionBatch> epoch(int epoch, int fromBatch) {
            Iterator<DetectionBatch> it = epoch(epoch);
            for (int b = 0; b < fromBatch && it.hasNext(); b++) {
                try (TensorScope scope = TensorScope.open()) {
                    it.next();
                }
            }
            return it;
        }

        /** Data whose epochs start at any batch without loading the ones before. */
        static EpochData seekable(Seekable data) {
            return new EpochData() {
                @Override
                public Iterator<DetectionBatch> epoch(int epoch) {
                    return data.epoch(epoch, 0);
                }

                @Override
                public Iterator<DetectionBatch> epoch(int epoch, int fromBatch) {
                    return data.epoch(epoch, fromBatch);
                }
            };
        }
    }

    /** The batches of {@code epoch} from batch {@code fromBatch} on. */
    @FunctionalInterface
    public interface Seekable {
        Iterator<DetectionBatch> epoch(int epoch, int fromBatch);
    }

    private final DwDetector model;
    private final DwLoss loss;
    private final Optimizer sgd;
    private final LrSchedule schedule;
    private final double gradClip;
    private final List<TrainHook> hooks = new ArrayList<>();
    private long iter;
    private int nextEpoch;
    private int batchInEpoch;   // batches of the running epoch done (at the start: those a mid-epoch checkpoint did)
    private final int epochs;
    private final long itersPerEpoch;

    /**
     * @param startEpoch    first epoch to run (after a resume: the checkpoint's epoch + 1)
     * @param startIter     global iteration counter at that point
     * @param itersPerEpoch batches per epoch (for ETA and logs)
     */
    public Trainer(DwDetector model, DwLoss loss, Optimizer sgd, LrSchedule schedule, double gradClip, int epochs,
                   long itersPerEpoch, int startEpoch, long startIter) {
        this.model = model;
        this.loss = loss;
        this.sgd = sgd;
        this.schedule = schedule;
        this.gradClip = gradClip;
        this.epochs = epochs;
        this.itersPerEpoch = itersPerEpoch;
        this.nextEpoch = startEpoch;
        this.iter = startIter;
    }

    /**
     * Starts the first epoch at batch {@code batch} (a resume from a mid-epoch checkpoint: the first epoch's batches
     * before it were trained).
     */
    public Trainer startingAtBatch(int batch) {
        if (batch < 0 || batch > itersPerEpoch) {
            throw new IllegalArgumentException("cannot start epoch " + (nextEpoch + 1) + " at batch " + batch + ": it has "
                    + itersPerEpoch + " batches");
        }
        this.batchInEpoch = batch;
        return this;
    }

    private dev.dwjava.train.dist.GradientAverager gradientSync;

    /** Averages gradients over ranks after each backward (data-parallel training). */
    public Trainer withGradientSync(dev.dwjava.train.dist.GradientAverager sync) {
        this.gradientSync = sync;
        return this;
    }

    private Precision precision = Precision.OFF;
    private LossScaler scaler;
    private ExpMomentumEma ema;

    /**
     * Runs the model's forward under autocast to {@code precision} (the weights stay fp32 masters; the outputs are
     * cast back to fp32 for the DW assignment and loss).
     */
    public Trainer withPrecision(Precision precision) {
        this.precision = precision;
        return this;
    }

    /** Scales the loss for the backward and skips the steps whose gradients overflow (fp16 training). */
    public Trainer withLossScaler(LossScaler scaler) {
        this.scaler = scaler;
        return this;
    }

    /** Updates a moving average of the weights after every step (the evaluation and checkpoints use it). */
    public Trainer withEma(ExpMomentumEma ema) {
        this.ema = ema;
        return this;
    }

    /** What checkpoints save: the model, the optimizer, and the weight average and loss scale when there are any. */
    public TrainState state() {
        return new TrainState(model, sgd, ema, scaler);
    }

    public Trainer addHook(TrainHook hook) {
        hooks.add(hook);
        return this;
    }

    public DwDetector model() {
        return model;
    }

    public Optimizer optimizer() {
        return sgd;
    }

    /** Global iterations done so far. */
    public long iteration() {
        return iter;
    }

    public int epochs() {
        return epochs;
    }

    public long itersPerEpoch() {
        return itersPerEpoch;
    }

    /** Batches of the running epoch done so far (in {@code afterStep}: including that step's). */
    public int batchInEpoch() {
        return batchInEpoch;
    }

    /** Trains the remaining epochs. */
    public void train(EpochData data) {
        Throwable failure = null;
        try {
            hooks.forEach(h -> h.beforeTrain(this));
            for (int epoch = nextEpoch; epoch < epochs; epoch++) {
                int e = epoch;
                hooks.forEach(h -> h.beforeEpoch(this, e));
                Iterator<DetectionBatch> it = batchInEpoch > 0 ? data.epoch(epoch, batchInEpoch) : data.epoch(epoch);
                while (true) {
                    // One scope per iteration holds the batch and everything the step makes.
                    try (TensorScope scope = TensorScope.open()) {
                        long w0 = System.nanoTime();
                        if (!it.hasNext()) {
                            break;
                        }
                        DetectionBatch batch = it.next();
                        double dataMs = ms(System.nanoTime() - w0);
                        StepResult r = step(batch, epoch, dataMs);
                        batchInEpoch++;
                        hooks.forEach(h -> h.afterStep(this, r));
                    }
                }
                nextEpoch = epoch + 1;
                batchInEpoch = 0;
                hooks.forEach(h -> h.afterEpoch(this, e));
            }
        } catch (RuntimeException | Error ex) {
            failure = ex;
            throw ex;
        } finally {
            Throwable f = failure;
            hooks.forEach(h -> h.afterTrain(this, f));
        }
    }

    /** One optimisation step on {@code batch}. */
    public StepResult step(DetectionBatch batch, int epoch, double dataMs) {
        double lr = schedule.lr(iter, epoch);
        // On the CPU the head's 3×3 convs train as Winograd convolutions recorded on the tape (WinogradTape).
        try (TensorScope scope = TensorScope.open();
             WinogradTape tape = model.device().cuda() ? null : WinogradTape.open()) {
            long t0 = System.nanoTime();
            HeadOutputs out;
            try (Autocast autocast = Autocast.enter(precision, model.device())) {
                out = model.forward(batch.images());
            }
            out = out.toFloat();   // the DW assignment and loss stay fp32 (docs/DW_SPEC.md)
            if (!out.level(0).clsLogits().is_cpu()) {
                // On a GPU a NaN reaching the BCE is a device-side assert that ends the process: check first (one read).
                // On the CPU the BCE itself refuses it, and the diagnosis below runs only then.
                checkFinite(out, batch.images(), epoch);
            }
            long t1 = System.nanoTime();
            DwLossResult l;
            try {
                l = loss.compute(out.points(), out.predictions(), onDeviceOf(out, batch.targets()));
            } catch (RuntimeException e) {
                checkFinite(out, batch.images(), epoch);   // throws the divergence with its cause when there is one
                throw e;
            }
            Tensor total = l.total();
            long t2 = System.nanoTime();
            sgd.zeroGrad();
            double lossScale = scaler != null ? scaler.scale() : 0;
            (scaler != null ? scaler.scale(total) : total).backward();
            if (tape != null) {
                tape.backward();   // the recorded convolutions' gradients, before anything reads them
            }
            if (gradientSync != null) {
                gradientSync.average(sgd.params());   // (scaled gradients average as well: every rank sees an overflow)
            }
            long t3 = System.nanoTime();
            if (scaler != null) {
                scaler.unscale(sgd.params());   // clipping and the update see the true gradients
            }
            Tensor norm = sgd.clipGradNorm(gradClip);
            // The step's one host read: the three loss terms and the gradient norm, for the checks and the log.
            double[] read = Tensors.toDoubles(torch.stack(new TensorVector(l.clsPos().detach().to(ScalarType.Double),
                    l.loc().detach().to(ScalarType.Double), l.clsNeg().detach().to(ScalarType.Double), norm)));
            double clsPos = read[0], loc = read[1], clsNeg = read[2], gradNorm = read[3];
            if (!Double.isFinite(clsPos + loc + clsNeg)) {
                checkFinite(out, batch.images(), epoch);   // a non-finite forward is the cause to name, when it is one
            }
            checkFinite(clsPos, "loss_cls_pos", epoch);
            checkFinite(loc, "loss_loc", epoch);
            checkFinite(clsNeg, "loss_cls_neg", epoch);
            if (scaler != null && !scaler.update(Double.isFinite(gradNorm))) {
                // fp16 gradients overflowed at this scale: no update; the scaler has halved the scale.
                if (ema != null) {
                    ema.update();
                }
                StepResult r = new StepResult(epoch, iter, lr, clsPos, loc, clsNeg, gradNorm, ms(t1 - t0), ms(t2 - t1),
                        ms(t3 - t2), ms(System.nanoTime() - t3), dataMs, lossScale, true);
                iter++;
                return r;
            }
            if (!Double.isFinite(gradNorm)) {
                throw new TrainingDivergedException("the gradients diverged (global norm " + gradNorm + ") at iteration " + iter
                        + " (epoch " + (epoch + 1) + "): training stopped. Lower the learning rate or set solver.grad_clip.");
            }
            sgd.step(lr);
            if (ema != null) {
                ema.update();
            }
            long t4 = System.nanoTime();
            StepResult r = new StepResult(epoch, iter, lr, clsPos, loc, clsNeg, gradNorm, ms(t1 - t0), ms(t2 - t1),
                    ms(t3 - t2), ms(t4 - t3), dataMs, lossScale, false);
            iter++;
            return r;
        }
    }

    /**
     * NaN/Inf in the head outputs would make the loss throw inside BCE. Say what diverged: the input batch, the
     * weights (the previous step made them non-finite), or the forward itself (it overflowed on finite values).
     */
    private void checkFinite(HeadOutputs out, Tensor images, int epoch) {
        // One fused reduction and one read in the common case; the per-tensor reads only to say what diverged.
        TensorVector sums = new TensorVector();
        for (LevelOutput o : out.levels()) {
            for (Tensor t : new Tensor[] {o.clsLogits(), o.distances(), o.objLogits()}) {
                sums.push_back(t.detach().sum().to(ScalarType.Double));
            }
        }
        if (Double.isFinite(torch.stack(sums).sum().item_double())) {
            return;
        }
        for (int l = 0; l < out.numLevels(); l++) {
            LevelOutput o = out.level(l);
            String[] names = {"class logits", "distances", "objectness logits"};
            Tensor[] ts = {o.clsLogits(), o.distances(), o.objLogits()};
            for (int k = 0; k < 3; k++) {
                if (!Double.isFinite(ts[k].detach().sum().item_double())) {
                    String where = " at iteration " + iter + " (epoch " + (epoch + 1) + "): training stopped.";
                    if (!Double.isFinite(images.sum().item_double())) {
                        throw new TrainingDivergedException("the input batch has NaN or infinite pixels" + where
                                + " Check the images of this batch.");
                    }
                    for (Optimizer.Param p : sgd.params()) {
                        if (!Double.isFinite(p.tensor().detach().sum().item_double())) {
                            throw new TrainingDivergedException("the weights diverged (" + p.name() + " is not finite after the"
                                    + " previous step)" + where + " Lower the learning rate or set solver.grad_clip.");
                        }
                    }
                    throw new TrainingDivergedException("the forward pass overflowed (" + names[k] + " of level P" + (l + 3)
                            + " are not finite on finite inputs and weights)" + where
                            + " Lower the learning rate or set solver.grad_clip.");
                }
            }
        }
    }

    private void checkFinite(double v, String term, int epoch) {
        if (!Double.isFinite(v)) {
            throw new TrainingDivergedException("the loss diverged (" + term + " is " + v + ") at iteration " + iter + " (epoch "
                    + (epoch + 1) + "): training stopped. Lower the learning rate or set solver.grad_clip.");
        }
    }

    /** The targets on the device of the head outputs (the data loader produces them on the CPU). */
    static List<GroundTruth> onDeviceOf(HeadOutputs out, List<GroundTruth> targets) {
        if (out.onCpu()) {
            return targets;
        }
        List<GroundTruth> moved = new ArrayList<>();
        for (GroundTruth gt : targets) {
            moved.add(new GroundTruth(gt.boxes().to(out.device(), gt.boxes().scalar_type()),
                    gt.labels().to(out.device(), gt.labels().scalar_type())));
        }
        return moved;
    }

    private static double ms(long nanos) {
        return nanos / 1e6;
    }
}
