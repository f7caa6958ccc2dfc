package dev.dwjava.train.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;

import dev.dwjava.core.runtime.TensorScope;
import dev.dwjava.core.runtime.Torch;
import dev.dwjava.model.DwDetector;
import dev.dwjava.model.onnx.OnnxExporter;
import dev.dwjava.model.onnx.OnnxModel;
import dev.dwjava.model.weights.WeightLoader;
import dev.dwjava.train.bench.BenchStats;
import dev.dwjava.train.config.DwConfig;
import picocli.CommandLine;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code dw export}: writes the network as an ONNX model whose outputs are the raw head outputs per level, as
 * {@code dw forward} writes them (docs/onnx.md).
 */
@Command(name = "export", description = {
    "Export the network to ONNX (opset " + OnnxExporter.OPSET + "): input 'images' (B, 3, H, W),",
    "normalised and padded; outputs cls_logits_pL, distances_pL, obj_logits_pL for",
    "L = 3..7 (the arrays of dw forward).",
    "Frozen batch norms are folded into the convs. --size HxW fixes the input at",
    "1x3xHxW; --dynamic (the default) leaves batch, height and width symbolic."})
public final class ExportCommand implements Callable<Integer> {
    @Mixin
    ConfigOptions config;

    @Mixin
    WeightsOption weights;

    @Option(names = "--format", defaultValue = "onnx", description = "Output format: onnx (the only one; default).")
    String format;

    @Option(names = "--out", required = true, description = "The .onnx file to write (parent folders are created).")
    Path out;

    @ArgGroup(exclusive = true)
    Shape shape = new Shape();

    /** {@code --size HxW} or {@code --dynamic}. */
    static final class Shape {
        @Option(names = "--size", description = "Fixed input HxW, positive multiples of 32 (batch 1).")
        String size;

        @Option(names = "--dynamic", description = "Symbolic batch, height and width (the default).")
        boolean dynamic;
    }

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws IOException {
        if (!"onnx".equalsIgnoreCase(format)) {
            throw new IllegalArgumentException("--format must be onnx, found " + format);
        }
        int[] hw = shape.size == null ? null : BenchStats.parseSize(shape.size);
        if (Files.isDirectory(out)) {
            throw new IllegalArgumentException("--out " + out + " is a directory; give the path of the .onnx file to write");
        }
        Torch.init();
        DwConfig cfg = config.load().config();
        try (TensorScope scope = TensorScope.open()) {
            DwDetector model = new DwDetector(cfg.model());
            spec.commandLine().getErr().println(WeightLoader.loadModel(model, weights.weights, true));
            OnnxModel onnx = hw == null ? OnnxExporter.exportDynamic(model) : OnnxExporter.exportFixed(model, hw[0], hw[1]);
            try {
                onnx.write(out);
            } catch (IOException e) {
                throw new IOException("--out " + out + ": cannot write the model (" + ErrorBoundary.describe(e) + ")", e);
            }
            List<String> names = OnnxExporter.outputNames();
            spec.commandLine().getOut().printf("wrote %s: %.1f MB, %d nodes, opset %d, input %s %s, outputs %s .. %s%n", out,
                    Files.size(out) / 1e6, onnx.nodeCount(), OnnxExporter.OPSET, OnnxExporter.INPUT,
                    hw == null ? "batch x 3 x height x width" : "1x3x" + hw[0] + "x" + hw[1], names.get(0), names.get(names.size() - 1));
        }
        return 0;
    }
}
