package dev.dwjava.train.engine;

import java.util.List;
import java.util.Random;

import dev.dwjava.core.dw.DwLoss;
import dev.dwjava.core.runtime.NativeMemory;
import dev.dwjava.core.runtime.Torch;
import dev.dwjava.data.loader.DetectionBatch;
import dev.dwjava.model.DwDetector;
import dev.dwjava.model.ModelConfig;
import dev.dwjava.model.weights.WeightLoader;
import dev.dwjava.train.solver.LrSchedule;
import dev.dwjava.train.solver.Sgd;
import dev.dwjava.train.solver.SolverConfig;
import org.bytedeco.pytorch.global.torch;

/**
 * Trains a tiny model for N steps and prints the floor of the resident memory over the first and the last 100 steps
 * and the live native objects: "FLOORS first last objectsBefore objectsAfter". Run in its own JVM with a fixed,
 * pre-touched heap ({@code -Xms = -Xmx}, {@code -XX:+AlwaysPreTouch}) so that RSS changes are native memory only.
 */
public final class MemorySoak {
    public static void main(String[] args) {
        int steps = Integer.parseInt(args[0]);
        Torch.init();
        torch.manual_seed(4);
        DwDetector model = new DwDetector(new ModelConfig(18, 4, 1, 8, 8, 1, 2, 3, true, false));
        Sgd sgd = new Sgd(Sgd.groups(WeightLoader.stateOf(model), 1e-4, 0), 0.9);
        SolverConfig s = new SolverConfig(0.01, 2, 0.9, 1e-4, 0, 5, 0.1, List.of(), 0.1, 1, 0);
        Trainer t = new Trainer(model, new DwLoss(), sgd, new LrSchedule(0.01, s), 0, 1, steps, 0, 10);
        DetectionBatch fixed = TrainerTestData.batch(new Random(9), 2);
        for (int k = 0; k < 50; k++) {
            t.step(fixed, 0, 0);
        }
        long objects = NativeMemory.liveNativeObjects();
        long first = Long.MAX_VALUE, last = Long.MAX_VALUE;
        for (int k = 0; k < steps; k++) {
            t.step(fixed, 0, 0);
            if (k % 10 == 0) {
                long rss = NativeMemory.residentBytes();
                if (k < 100) {
                    first = Math.min(first, rss);
                } else if (k >= steps - 100) {
                    last = Math.min(last, rss);
                }
            }
        }
        System.out.println("FLOORS " + first + " " + last + " " + objects + " " + NativeMemory.liveNativeObjects());
    }
}
