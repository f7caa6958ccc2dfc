package dev.dwjava.train.bench;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.ToDoubleFunction;

import dev.dwjava.core.dw.DwLoss;
import dev.dwjava.core.dw.GroundTruth;
import dev.dwjava.core.dw.RankAverager;
import dev.dwjava.core.runtime.ComputeDevice;
import dev.dwjava.core.runtime.Precision;
import dev.dwjava.core.runtime.TensorScope;
import dev.dwjava.core.tensor.Tensors;
import dev.dwjava.data.loader.DetectionBatch;
import dev.dwjava.kernels.Ops;
import dev.dwjava.model.DwDetector;
import dev.dwjava.model.weights.WeightLoader;
import dev.dwjava.train.config.DwConfig;
import dev.dwjava.train.engine.StepResult;
import dev.dwjava.train.engine.Trainer;
import dev.dwjava.train.solver.LossScaler;
import dev.dwjava.train.solver.LrSchedule;
import dev.dwjava.train.solver.Sgd;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;

/**
 * Forward, DW loss, backward and SGD step on random images and boxes (data excluded), after two warm-up steps. With a
 * mixed precision it also times fp32 steps of an identically initialised model, alternating step by step with the
 * mixed-precision ones on the same inputs, and reports both medians and their ratio (one run, same conditions).
 */
public final class TrainStepBench {
    private TrainStepBench() {}

    /** @param gts ground-truth boxes per image */
    public static Map<String, Object> run(DwConfig cfg, ComputeDevice device, int batch, int[] hw, int iters, int gts) {
        return run(cfg, device, batch, hw, iters, gts, Precision.OFF);
    }

    /** @param precision the forward's precision; other than off, fp32 steps are timed alternately as its peer */
    public static Map<String, Object> run(DwConfig cfg, ComputeDevice device, int batch, int[] hw, int iters, int gts,
                                          Precision precision) {
        precision.requireSupportedOn(device);
        Trainer mixed = trainer(cfg, device, iters, precision);
        Trainer fp32 = precision == Precision.OFF ? null : trainer(cfg, device, iters, Precision.OFF);
        Random r = new Random(0);
        List<StepResult> steps = new ArrayList<>(), fp32Steps = new ArrayList<>();
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
                    targets.add(new GroundTruth(Tensors.of(boxes, ScalarType.Float, gts, 4).to(device.torchDevice(), ScalarType.Float),
                            Tensors.ofLongs(labels, gts).to(device.torchDevice(), ScalarType.Long)));
                }
                DetectionBatch inputs = DetectionBatch.ofInputs(torch.randn(batch, 3, hw[0], hw[1]).to(device.torchDevice(),
                        ScalarType.Float), targets);
                // Alternate which one goes first, so that neither always runs on a warmer cache.
                boolean fp32First = fp32 != null && (k & 1) == 1;
                StepResult peer = fp32First ? fp32.step(inputs, 0, 0) : null;
                StepResult s = mixed.step(inputs, 0, 0);
                if (fp32 != null && !fp32First) {
                    peer = fp32.step(inputs, 0, 0);
                }
                if (k >= 0) {
                    steps.add(s);
                    if (peer != null) {
                        fp32Steps.add(peer);
                    }
                }
            }
        }
        Map<String, Object> res = new LinkedHashMap<>();
        res.put("input", batch + "x3x" + hw[0] + "x" + hw[1]);
        res.put("gts_per_image", gts);
        res.put("amp", precision.toString());
        res.put("step_ms_median", median(steps, StepResult::stepMs));
        res.put("forward_ms_median", median(steps, StepResult::forwardMs));
        res.put("loss_ms_median", median(steps, StepResult::lossMs));
        res.put("backward_ms_median", median(steps, StepResult::backwardMs));
        res.put("optimizer_ms_median", median(steps, StepResult::optimMs));
        if (fp32 != null) {
            double peer = median(fp32Steps, StepResult::stepMs);
            res.put("fp32_step_ms_median", peer);
            res.put("fp32_forward_ms_median", median(fp32Steps, StepResult::forwardMs));
            res.put("fp32_backward_ms_median", median(fp32Steps, StepResult::backwardMs));
            res.put("step_time_vs_fp32", median(steps, StepResult::stepMs) / peer);
            if (!device.cuda()) {
                res.put("cpu_native_bf16", Precision.cpuHasBf16());
            }
        }
        return res;
    }

    private static Trainer trainer(DwConfig cfg, ComputeDevice device, int iters, Precision precision) {
        torch.manual_seed(0);
        DwDetector model = new DwDetector(cfg.model());
        model.moveTo(device);
        Sgd sgd = new Sgd(Sgd.groups(WeightLoader.stateOf(model), cfg.solver().weightDecay(), cfg.solver().normDecay()),
                cfg.solver().momentum());
        return new Trainer(model, new DwLoss(Ops.forDevice(device).assigner(), RankAverager.SINGLE_PROCESS), sgd,
                new LrSchedule(1e-4, cfg.solver()), 0, 1, iters, 0, cfg.solver().warmupIters())
                .withPrecision(precision).withLossScaler(precision.needsLossScaling() ? LossScaler.dynamic() : null);
    }

    private static double median(List<StepResult> steps, ToDoubleFunction<StepResult> f) {
        return BenchStats.median(steps.stream().mapToDouble(f).toArray());
    }
}
