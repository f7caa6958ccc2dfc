package dev.dwjava.train.engine;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;

import dev.dwjava.core.dw.DwLoss;
import dev.dwjava.core.dw.DwLossResult;
import dev.dwjava.core.dw.GroundTruth;
import dev.dwjava.core.dw.ImagePredictions;
import dev.dwjava.core.point.Levels;
import dev.dwjava.core.point.PointGrid;
import dev.dwjava.core.runtime.TensorScope;
import dev.dwjava.model.DwDetector;
import dev.dwjava.model.head.LevelOutput;
import dev.dwjava.train.solver.LrSchedule;
import dev.dwjava.train.solver.Sgd;
import org.bytedeco.pytorch.Tensor;

/**
 * Runs the training step (forward → DW loss → backward → SGD) over epochs of batches; everything else is a
 * {@link TrainHook}. Each step runs in its own native-memory scope, so memory stays flat over a long run.
 */
public final class Trainer {
    /** Supplies the batches of one epoch (the sampler's order for that epoch). */
    @FunctionalInterface
    public interface EpochData {
        Iterator<TrainBatch> epoch(int epoch);

        /**
         * The batches of {@code epoch} after its first {@code fromBatch} (a resume in the middle of an epoch). This
         * default draws and drops them; data that can start anywhere says so with {@link #seekable}.
         */
        default Iterator<TrainBatch> epoch(int epoch, int fromBatch) {
            Iterator<TrainBatch> it = epoch(epoch);
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
                public Iterator<TrainBatch> epoch(int epoch) {
                    return data.epoch(epoch, 0);
                }

                @Override
                public Iterator<TrainBatch> epoch(int epoch, int fromBatch) {
                    return data.epoch(epoch, fromBatch);
                }
            };
        }
    }

    /** The batches of {@code epoch} from batch {@code fromBatch} on. */
    @FunctionalInterface
    public interface Seekable {
        Iterator<TrainBatch> epoch(int epoch, int fromBatch);
    }

    private final DwDetector model;
    private final DwLoss loss;
    private final Sgd sgd;
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
    public Trainer(DwDetector model, DwLoss loss, Sgd sgd, LrSchedule schedule, double gradClip, int epochs,
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

    public Trainer addHook(TrainHook hook) {
        hooks.add(hook);
        return this;
    }

    public DwDetector model() {
        return model;
    }

    public Sgd optimizer() {
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
                Iterator<TrainBatch> it = batchInEpoch > 0 ? data.epoch(epoch, batchInEpoch) : data.epoch(epoch);
                while (true) {
                    // One scope per iteration holds the batch and everything the step makes.
                    try (TensorScope scope = TensorScope.open()) {
                        long w0 = System.nanoTime();
                        if (!it.hasNext()) {
                            break;
                        }
                        TrainBatch batch = it.next();
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
    public StepResult step(TrainBatch batch, int epoch, double dataMs) {
        double lr = schedule.lr(iter, epoch);
        try (TensorScope scope = TensorScope.open()) {
            long t0 = System.nanoTime();
            List<LevelOutput> out = model.forward(batch.images());
            checkFinite(out, batch.images(), epoch);
            long t1 = System.nanoTime();
            DwLossResult l = loss.compute(points(out), predictions(out), onDeviceOf(out, batch.targets()));
            Tensor total = l.total();
            double clsPos = l.clsPos().item_double(), loc = l.loc().item_double(), clsNeg = l.clsNeg().item_double();
            long t2 = System.nanoTime();
            checkFinite(clsPos, "loss_cls_pos", epoch);
            checkFinite(loc, "loss_loc", epoch);
            checkFinite(clsNeg, "loss_cls_neg", epoch);
            sgd.zeroGrad();
            total.backward();
            if (gradientSync != null) {
                gradientSync.average(sgd.params());
            }
            long t3 = System.nanoTime();
            double norm = sgd.clipGradNorm(gradClip);
            if (!Double.isFinite(norm)) {
                throw new TrainingDivergedException("the gradients diverged (global norm " + norm + ") at iteration " + iter
                        + " (epoch " + (epoch + 1) + "): training stopped. Lower the learning rate or set solver.grad_clip.");
            }
            sgd.step(lr);
            long t4 = System.nanoTime();
            StepResult r = new StepResult(epoch, iter, lr, clsPos, loc, clsNeg, norm, ms(t1 - t0), ms(t2 - t1),
                    ms(t3 - t2), ms(t4 - t3), dataMs);
            iter++;
            return r;
        }
    }

    /**
     * NaN/Inf in the head outputs would make the loss throw inside BCE. Say what diverged: the input batch, the
     * weights (the previous step made them non-finite), or the forward itself (it overflowed on finite values).
     */
    private void checkFinite(List<LevelOutput> out, Tensor images, int epoch) {
        for (int l = 0; l < out.size(); l++) {
            LevelOutput o = out.get(l);
            String[] names = {"class logits", "distances", "objectness logits"};
            Tensor[] ts = {o.clsLogits(), o.distances(), o.objLogits()};
            for (int k = 0; k < 3; k++) {
                if (!Double.isFinite(ts[k].detach().sum().item_double())) {
                    String where = " at iteration " + iter + " (epoch " + (epoch + 1) + "): training stopped.";
                    if (!Double.isFinite(images.sum().item_double())) {
                        throw new TrainingDivergedException("the input batch has NaN or infinite pixels" + where
                                + " Check the images of this batch.");
                    }
                    for (Sgd.Param p : sgd.params()) {
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
    static List<GroundTruth> onDeviceOf(List<LevelOutput> out, List<GroundTruth> targets) {
        Tensor like = out.get(0).clsLogits();
        if (like.is_cpu()) {
            return targets;
        }
        List<GroundTruth> moved = new ArrayList<>();
        for (GroundTruth gt : targets) {
            moved.add(new GroundTruth(gt.boxes().to(like.device(), gt.boxes().scalar_type()),
                    gt.labels().to(like.device(), gt.labels().scalar_type())));
        }
        return moved;
    }

    static PointGrid points(List<LevelOutput> out) {
        List<dev.dwjava.core.point.FeatureLevel> levels = new ArrayList<>();
        for (LevelOutput o : out) {
            levels.add(new dev.dwjava.core.point.FeatureLevel((int) o.clsLogits().size(2), (int) o.clsLogits().size(3), o.stride()));
        }
        return PointGrid.generate(levels, o0(out).clsLogits().scalar_type()).to(o0(out).clsLogits().device());
    }

    static List<ImagePredictions> predictions(List<LevelOutput> out) {
        List<Tensor> cls = new ArrayList<>(), dist = new ArrayList<>(), obj = new ArrayList<>();
        for (LevelOutput o : out) {
            cls.add(o.clsLogits());
            dist.add(o.distances());
            obj.add(o.objLogits());
        }
        List<Tensor> c = Levels.toImages(cls), d = Levels.toImages(dist), ob = Levels.toImages(obj);
        List<ImagePredictions> preds = new ArrayList<>();
        for (int b = 0; b < c.size(); b++) {
            preds.add(new ImagePredictions(c.get(b), d.get(b), ob.get(b).reshape(-1)));
        }
        return preds;
    }

    private static LevelOutput o0(List<LevelOutput> out) {
        return out.get(0);
    }

    private static double ms(long nanos) {
        return nanos / 1e6;
    }
}
