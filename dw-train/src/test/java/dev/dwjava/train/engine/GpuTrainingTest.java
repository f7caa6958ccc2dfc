package dev.dwjava.train.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.Random;

import dev.dwjava.core.dw.DwLoss;
import dev.dwjava.core.dw.RankAverager;
import dev.dwjava.core.runtime.ComputeDevice;
import dev.dwjava.core.runtime.Precision;
import dev.dwjava.core.runtime.TensorScope;
import dev.dwjava.core.runtime.Torch;
import dev.dwjava.kernels.Ops;
import dev.dwjava.model.DwDetector;
import dev.dwjava.model.ModelConfig;
import dev.dwjava.model.weights.WeightLoader;
import dev.dwjava.train.solver.LossScaler;
import dev.dwjava.train.solver.LrSchedule;
import dev.dwjava.train.solver.Sgd;
import dev.dwjava.train.solver.SolverConfig;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Training steps on the GPU (model moved with {@code moveTo}, batches and targets following it, DW weighting by the
 * CUDA kernels) agree with the same steps on the CPU. Run with {@code mvn -Pgpu test}; skipped where libtorch sees no
 * GPU.
 */
@Tag("gpu")
class GpuTrainingTest {
    private static final ModelConfig TINY = new ModelConfig(18, 8, 1, 16, 16, 1, 4, 3, true, false);
    private static final SolverConfig SOLVER = new SolverConfig(0.01, 2, 0.9, 1e-4, 0, 5, 0.1, java.util.List.of(1), 0.1, 2, 0);

    @Test
    void threeStepsOnTheGpuMatchTheCpu() {
        Torch.init();
        assumeTrue(torch.cuda_is_available(), "libtorch sees no CUDA device");
        double[][] losses = new double[2][];
        for (int run = 0; run < 2; run++) {
            try (TensorScope scope = TensorScope.open()) {
                torch.manual_seed(0);
                DwDetector model = new DwDetector(TINY);
                ComputeDevice device = run == 0 ? ComputeDevice.CPU : ComputeDevice.parse("cuda:0");
                model.moveTo(device);
                Sgd sgd = new Sgd(Sgd.groups(WeightLoader.stateOf(model), 1e-4, 0), 0.9);
                Trainer trainer = new Trainer(model, new DwLoss(Ops.forDevice(device).assigner(), RankAverager.SINGLE_PROCESS), sgd,
                        new LrSchedule(SOLVER.scaledLr(2), SOLVER), 0, 1, 3, 0, 0);
                losses[run] = new double[3];
                for (int k = 0; k < 3; k++) {
                    try (TensorScope step = TensorScope.open()) {
                        StepResult r = trainer.step(TrainerTestData.batch(new Random(k), 2), 0, 0);
                        losses[run][k] = r.clsPos() + r.loc() + r.clsNeg();
                    }
                }
            }
        }
        for (int k = 0; k < 3; k++) {
            assertEquals(losses[0][k], losses[1][k], 1e-3 * Math.abs(losses[0][k]), "loss of step " + k);
        }
    }

    /**
     * fp16 autocast with the dynamic loss scale on the GPU: three steps' losses within 1% of fp32 steps from the same
     * weights (fp16 keeps 11 significant bits, more than bf16's 8; the loss runs in fp32), none skipped at the
     * default scale 2^16 on this tiny model, and the scale unchanged (growth needs 2000 finite steps).
     */
    @Test
    void fp16StepsWithTheLossScalerTrackFp32OnTheGpu() {
        Torch.init();
        assumeTrue(torch.cuda_is_available(), "libtorch sees no CUDA device");
        ComputeDevice device = ComputeDevice.parse("cuda:0");
        double[][] losses = new double[2][3];
        LossScaler scaler = LossScaler.dynamic();
        for (int run = 0; run < 2; run++) {
            try (TensorScope scope = TensorScope.open()) {
                torch.manual_seed(0);
                DwDetector model = new DwDetector(TINY);
                model.moveTo(device);
                Sgd sgd = new Sgd(Sgd.groups(WeightLoader.stateOf(model), 1e-4, 0), 0.9);
                Trainer trainer = new Trainer(model, new DwLoss(Ops.forDevice(device).assigner(), RankAverager.SINGLE_PROCESS), sgd,
                        new LrSchedule(SOLVER.scaledLr(2), SOLVER), 0, 1, 3, 0, 0);
                if (run == 1) {
                    trainer.withPrecision(Precision.FP16).withLossScaler(scaler);
                }
                for (int k = 0; k < 3; k++) {
                    try (TensorScope step = TensorScope.open()) {
                        StepResult r = trainer.step(TrainerTestData.batch(new Random(k), 2), 0, 0);
                        assertFalse(r.skipped(), "step " + k + " skipped at scale " + r.lossScale());
                        losses[run][k] = r.total();
                    }
                }
            }
        }
        for (int k = 0; k < 3; k++) {
            assertEquals(losses[0][k], losses[1][k], 1e-2 * Math.abs(losses[0][k]), "fp16 loss of step " + k);
        }
        assertEquals(LossScaler.INIT_SCALE, scaler.scale());
    }
}
