package dev.dwjava.train.cli;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;

import dev.dwjava.core.runtime.TensorScope;
import dev.dwjava.core.runtime.Torch;
import dev.dwjava.model.DwDetector;
import dev.dwjava.model.head.LevelOutput;
import dev.dwjava.model.io.Npy;
import dev.dwjava.model.weights.WeightLoader;
import dev.dwjava.train.config.DwConfig;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch.ScalarType;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code dw forward}: runs the network on a preprocessed NCHW float32 input and writes each level's raw outputs, for
 * comparing with other implementations.
 */
@Command(name = "forward", description = {"Run the network on a preprocessed (B, 3, H, W) float32 .npy input and write",
    "cls_L.npy, reg_L.npy (distances in pixels after scale, stride and refine) and obj_L.npy for L = 0..4."})
public final class ForwardCommand implements Callable<Integer> {
    @Mixin
    ConfigOptions config;

    @Mixin
    WeightsOption weights;

    @Option(names = "--input", required = true, description = "Input .npy, float32 (B, 3, H, W), H and W multiples of 32.")
    Path input;

    @Option(names = "--out", required = true, description = "Output folder.")
    Path out;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws IOException {
        Torch.init();
        DwConfig cfg = config.load().config();
        DwDetector model = new DwDetector(cfg.model());
        spec.commandLine().getErr().println(WeightLoader.loadModel(model, weights.weights, true));
        try (TensorScope scope = TensorScope.open(); NoGradGuard g = new NoGradGuard()) {
            Tensor x = Npy.read(input).to(ScalarType.Float);
            if (x.dim() != 4 || x.size(1) != 3 || x.size(2) % 32 != 0 || x.size(3) % 32 != 0) {
                throw new IllegalArgumentException(input + ": expected (B, 3, H, W) with H and W multiples of 32, found "
                        + java.util.Arrays.toString(x.shape()));
            }
            List<LevelOutput> levels = model.forward(x).levels();
            for (int l = 0; l < levels.size(); l++) {
                Npy.write(out.resolve("cls_" + l + ".npy"), levels.get(l).clsLogits());
                Npy.write(out.resolve("reg_" + l + ".npy"), levels.get(l).distances());
                Npy.write(out.resolve("obj_" + l + ".npy"), levels.get(l).objLogits());
            }
            spec.commandLine().getOut().println("wrote " + 3 * levels.size() + " arrays to " + out);
        }
        return 0;
    }
}
