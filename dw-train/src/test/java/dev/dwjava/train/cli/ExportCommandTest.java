package dev.dwjava.train.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import dev.dwjava.core.runtime.TensorScope;
import dev.dwjava.core.runtime.Torch;
import dev.dwjava.model.DwDetector;
import dev.dwjava.model.onnx.OnnxRuntimeCheck;
import dev.dwjava.model.weights.TorchFileWriter;
import dev.dwjava.model.weights.WeightLoader;
import dev.dwjava.train.app.TrainRunnerTest;
import dev.dwjava.train.config.DwConfig;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@code dw export}: each paper config (plain, box refinement, DCNv2), at tiny widths through {@code --cfg-options}, is
 * exported from a checkpoint, run in ONNX Runtime and compared with libtorch's forward of the same checkpoint
 * ({@link OnnxRuntimeCheck}: max |ort − torch| ≤ 1e-4 · max(1, max |torch|) per output); bad input is one line, exit 2,
 * and writes nothing.
 */
class ExportCommandTest extends CliTestBase {
    /** A tiny model of any paper config: ResNet-50 at base width 4, 16-channel FPN and head, one conv per tower. */
    private static final List<String> TINY = List.of("model.base_width=4", "model.fpn_channels=16", "model.head_channels=16",
            "model.gn_groups=4", "model.stacked_convs=1", "model.num_classes=4", "classes=[circle, rectangle, triangle, ring]");

    @BeforeAll
    static void init() {
        Torch.init();
    }

    private int run(List<String> args) {
        return run(args.toArray(new String[0]));
    }

    private static Path config(String name) {
        return TrainRunnerTest.quickstartConfig().resolveSibling(name);
    }

    private static List<String> export(Path config, Path weights, Path onnx, String... more) {
        List<String> a = new ArrayList<>(List.of("export", "--config", config.toString(), "--weights", weights.toString(),
                "--format", "onnx", "--out", onnx.toString()));
        a.addAll(List.of(more));
        a.add("--cfg-options");
        a.addAll(TINY);
        return a;
    }

    @ParameterizedTest
    @ValueSource(strings = {"dw_r50_fpn_worefine_1x_coco.yaml", "dw_r50_fpn_1x_coco.yaml", "dw_r50_fpn_dconv_c3-c5_mstrain_2x_coco.yaml"})
    void everyPaperConfigExportsAndRunsInOnnxRuntimeAsInLibtorch(String name, @TempDir Path tmp) throws Exception {
        Path config = config(name);
        try (TensorScope scope = TensorScope.open(); NoGradGuard g = new NoGradGuard()) {
            torch.manual_seed(11);
            DwDetector model = new DwDetector(DwConfig.load(config, TINY).config().model());
            OnnxRuntimeCheck.randomise(model);
            Path weights = tmp.resolve("w.pth");
            TorchFileWriter.writeStateDict(weights, WeightLoader.stateOf(model));

            Path fixed = tmp.resolve("out/fixed.onnx");
            assertEquals(0, run(export(config, weights, fixed, "--size", "64x96")), err::toString);
            assertTrue(out.toString().contains("wrote " + fixed + ": "), out.toString());
            assertTrue(out.toString().contains("input images 1x3x64x96, outputs cls_logits_p3 .. obj_logits_p7"), out.toString());
            OnnxRuntimeCheck.compare(model, fixed, new int[][] {{1, 64, 96}}, name + " --size 64x96");

            Path dynamic = tmp.resolve("out/dynamic.onnx");
            assertEquals(0, run(export(config, weights, dynamic, "--dynamic")), err::toString);
            OnnxRuntimeCheck.compare(model, dynamic, new int[][] {{2, 96, 64}}, name + " --dynamic");
        }
    }

    @Test
    void badInputIsOneLineAndWritesNothing(@TempDir Path tmp) throws Exception {
        Path config = config("dw_r50_fpn_1x_coco.yaml");
        Path weights = tmp.resolve("w.pth");
        try (TensorScope scope = TensorScope.open()) {
            TorchFileWriter.writeStateDict(weights, WeightLoader.stateOf(new DwDetector(DwConfig.load(config, TINY).config().model())));
        }
        Path onnx = tmp.resolve("m.onnx");

        assertEquals(2, run(export(config, tmp.resolve("missing.pth"), onnx)));
        assertOneLine(tmp.resolve("missing.pth").toString());

        assertEquals(2, run(export(config, weights, onnx, "--size", "60x96")));
        assertOneLine("--size must be HxW with positive multiples of 32, found 60x96");

        Path file = Files.writeString(tmp.resolve("a-file"), "mine");
        Path under = file.resolve("m.onnx");
        assertEquals(2, run(export(config, weights, under, "--size", "64x64")));
        assertOneLine("--out " + under + ": cannot write the model");
        assertEquals("mine", Files.readString(file));

        assertEquals(2, run(export(config, weights, tmp, "--size", "64x64")));
        assertOneLine("--out " + tmp + " is a directory");

        assertEquals(2, run(export(config, weights, onnx, "--size", "64x64", "--dynamic")));
        assertOneLine("--size=<size>, --dynamic are mutually exclusive");

        List<String> tflite = export(config, weights, onnx);
        tflite.set(tflite.indexOf("onnx"), "tflite");
        assertEquals(2, run(tflite));
        assertOneLine("--format must be onnx, found tflite");

        try (var files = Files.list(tmp)) {
            assertEquals(List.of("a-file", "w.pth"), files.map(p -> p.getFileName().toString()).sorted().toList());
        }
    }

    private void assertOneLine(String mustContain) {
        String e = err.toString();
        assertTrue(e.contains(mustContain), e);
        assertFalse(e.contains("\tat ") || e.contains("Exception in thread"), "a stack trace was printed:\n" + e);
        err.getBuffer().setLength(0);
    }
}
