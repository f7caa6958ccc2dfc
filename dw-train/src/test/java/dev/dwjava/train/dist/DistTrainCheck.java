package dev.dwjava.train.dist;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;

import dev.dwjava.core.dw.DwLoss;
import dev.dwjava.core.dw.TorchDwAssigner;
import dev.dwjava.core.runtime.TensorScope;
import dev.dwjava.core.runtime.Torch;
import dev.dwjava.model.DwDetector;
import dev.dwjava.model.ModelConfig;
import dev.dwjava.model.weights.TorchFileWriter;
import dev.dwjava.model.weights.WeightLoader;
import dev.dwjava.data.loader.DetectionBatch;
import dev.dwjava.train.engine.Trainer;
import dev.dwjava.train.engine.TrainerTestData;
import dev.dwjava.train.solver.LrSchedule;
import dev.dwjava.train.solver.Sgd;
import dev.dwjava.train.solver.SolverConfig;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/**
 * Trains a tiny model for a few steps on a fixed sequence of 4-image batches, as one of WORLD_SIZE data-parallel
 * processes (each takes its slice of every batch), then rank 0 writes the weights. Run by {@code DistributedTest}.
 * Usage: {@code DistTrainCheck OUT.pth} with torchrun's environment (or none for one process).
 *
 * <p>The boxes are large (52–63 px), so that the initial predictions (8 strides wide) already reach IoU ≥ 0.5 and
 * Σ(1 − P_neg) exceeds 1 on every rank: while the normalisers' clamp at 1 is inactive, averaging per-rank normalisers
 * (the original's multi-GPU rule, docs/DW_SPEC.md §3.8) gives exactly the single-process gradients of the combined batch.
 */
public final class DistTrainCheck {
    static final int STEPS = 3, IMAGES = 4;

    public static void main(String[] args) throws Exception {
        Torch.init();
        DistEnv env = DistEnv.fromEnvironment(System.getenv());
        try (Collectives c = env.distributed() ? new GlooCollectives(env) : Collectives.SINGLE) {
            torch.manual_seed(5);
            DwDetector model = new DwDetector(new ModelConfig(18, 8, 1, 16, 16, 1, 4, 3, true, false));
            Sgd sgd = new Sgd(Sgd.groups(WeightLoader.stateOf(model), 1e-4, 0), 0.9);
            SolverConfig solver = new SolverConfig(0.02, 4, 0.9, 1e-4, 0, 0, 1, List.of(), 0.1, 1, 0);
            Trainer t = new Trainer(model, new DwLoss(new TorchDwAssigner(), new RankMean(c)), sgd,
                    new LrSchedule(0.02, solver), 0, 1, STEPS, 0, 0).withGradientSync(new GradientAverager(c, 1L << 20));
            int per = IMAGES / c.worldSize();
            for (int step = 0; step < STEPS; step++) {
                try (TensorScope scope = TensorScope.open()) {
                    DetectionBatch full = TrainerTestData.batch(new Random(100 + step), IMAGES, 52, 12);
                    DetectionBatch mine = new DetectionBatch(full.images().narrow(0, (long) c.rank() * per, per),
                            full.targets().subList(c.rank() * per, (c.rank() + 1) * per),
                            full.metas().subList(c.rank() * per, (c.rank() + 1) * per));
                    t.step(mine, 0, 0);
                }
            }
            if (c.rank() == 0) {
                Map<String, Tensor> state = WeightLoader.stateOf(model);
                TorchFileWriter.writeStateDict(Path.of(args[0]), state);
            }
        }
    }
}
