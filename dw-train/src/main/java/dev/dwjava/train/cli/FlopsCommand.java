package dev.dwjava.train.cli;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

import dev.dwjava.core.runtime.Torch;
import dev.dwjava.model.DwDetector;
import dev.dwjava.model.ModelComplexity;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code dw flops}: parameters and FLOPs of a config's model per module group, as mmdetection's get_flops.py. */
@Command(name = "flops", mixinStandardHelpOptions = true, description = {"Parameters and FLOPs of a config's model at an input size, per module group",
        "(backbone, neck, head). FLOPs = multiply-accumulates of the convolutions (1 MAC = 1 FLOP, fvcore/mmcv)."})
public final class FlopsCommand implements Callable<Integer> {
    @Mixin
    ConfigOptions config;

    @Option(names = "--size", defaultValue = "1280x800", description = "Input HxW, multiples of 32 (default ${DEFAULT-VALUE},"
            + " get_flops.py's default shape).")
    String size;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        if (!size.matches("\\d{1,5}x\\d{1,5}")) {
            throw new IllegalArgumentException("--size must be HxW with positive multiples of 32, found " + size);
        }
        String[] hw = size.split("x");
        int h = Integer.parseInt(hw[0]), w = Integer.parseInt(hw[1]);
        if (h <= 0 || w <= 0 || h % 32 != 0 || w % 32 != 0) {
            throw new IllegalArgumentException("--size must be HxW with positive multiples of 32, found " + size);
        }
        var loaded = config.load();
        Torch.init();
        ModelComplexity c;
        try (DwDetector model = new DwDetector(loaded.config().model())) {
            c = ModelComplexity.measure(model, h, w);
        }
        PrintWriter o = spec.commandLine().getOut();
        o.printf(Locale.ROOT, "input shape: (3, %d, %d)%n", h, w);
        o.printf(Locale.ROOT, "%-10s %14s %14s %16s %10s%n", "module", "params", "trainable", "FLOPs (MACs)", "GFLOPs");
        List<ModelComplexity.Group> rows = new ArrayList<>(c.groups());
        rows.add(c.total());
        for (ModelComplexity.Group g : rows) {
            o.printf(Locale.ROOT, "%-10s %14d %14d %16d %10.3f%n", g.name(), g.parameters(), g.trainable(), g.macs(), g.macs() / 1e9);
        }
        ModelComplexity.Group t = c.total();
        o.printf(Locale.ROOT, "Flops: %.2f GFLOPs%nParams: %.2f M (trainable %.2f M)%n", t.macs() / 1e9, t.parameters() / 1e6,
                t.trainable() / 1e6);
        o.flush();
        return 0;
    }
}
