package dev.dwjava.model.onnx;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import dev.dwjava.core.runtime.TensorScope;
import dev.dwjava.core.runtime.Torch;
import dev.dwjava.core.tensor.Tensors;
import dev.dwjava.model.DwDetector;
import dev.dwjava.model.Fixtures;
import dev.dwjava.model.ModelConfig;
import dev.dwjava.model.weights.TorchFile;
import dev.dwjava.model.weights.WeightLoader;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The exported graphs run in ONNX Runtime (CPU) and give the libtorch forward's outputs, level by level, within
 * {@code max|ort − torch| ≤ 1e-4 · max(1, max|torch|)} per output tensor (nearly an absolute bound for the logits, a few
 * units in size; relative to the level's largest distance for the distances, whose rounding is that of
 * pixel coordinates: box refinement samples where the coarse distances point, and bilinear sampling with zero padding
 * turns a rounding of the position into one of up to the sampled value's size), for tiny models of every kind: plain, box refinement,
 * DCNv2 (+ refinement), and ResNet-18 basic blocks; fixed and symbolic input sizes. Batch norms, group norms, scales
 * and the offset convs get random values first, so that folding, normalisation and sampling are all exercised.
 */
class OnnxExportTest {
    @BeforeAll
    static void init() {
        Torch.init();
    }

    @Test
    void plainModelMatchesLibtorchAtAFixedSize(@TempDir Path tmp) throws Exception {
        check(new ModelConfig(50, 4, 1, 16, 16, 2, 4, 3, false, false), tmp, false, new int[][] {{1, 64, 96}});
    }

    @Test
    void boxRefinementMatchesLibtorchAtFixedAndSymbolicSizes(@TempDir Path tmp) throws Exception {
        ModelConfig cfg = new ModelConfig(50, 4, 1, 16, 16, 2, 4, 3, true, false);
        check(cfg, tmp, false, new int[][] {{1, 96, 64}});
        check(cfg, tmp, true, new int[][] {{1, 64, 64}, {2, 96, 128}});
    }

    @Test
    void deformableConvsMatchLibtorchAtFixedAndSymbolicSizes(@TempDir Path tmp) throws Exception {
        ModelConfig cfg = new ModelConfig(50, 4, 1, 16, 16, 2, 4, 3, true, true);
        check(cfg, tmp, false, new int[][] {{1, 64, 96}});
        check(cfg, tmp, true, new int[][] {{2, 96, 64}});
    }

    @Test
    void basicBlockResNetMatchesLibtorch(@TempDir Path tmp) throws Exception {
        check(new ModelConfig(18, 8, 1, 16, 16, 1, 4, 3, true, false), tmp, false, new int[][] {{1, 64, 64}});
    }

    @Test
    void theFixtureModelInOnnxRuntimeGivesThePyTorchOutputs(@TempDir Path tmp) throws Exception {
        // tiny_dw_r50_mmdet.pth and its outputs were made by an independent PyTorch model (make_fixtures.py), with
        // random batch-norm statistics, group norms and scales.
        try (TensorScope scope = TensorScope.open(); NoGradGuard g = new NoGradGuard()) {
            DwDetector model = new DwDetector(new ModelConfig(50, 4, 1, 16, 16, 2, 4, 3, true, false));
            WeightLoader.loadModel(model, Fixtures.path("tiny_dw_r50_mmdet.pth"), true);
            Map<String, Tensor> io = TorchFile.loadStateDict(Fixtures.path("tiny_dw_r50_io.pth"));
            Path file = tmp.resolve("fixture.onnx");
            OnnxExporter.exportFixed(model, 64, 96).write(file);
            Map<String, float[]> ort = OnnxRuntimeCheck.run(file, io.get("input"));
            String[] pyKinds = {"cls_", "reg_", "obj_"};
            double worst = 0;
            for (int l = 0; l < 5; l++) {
                for (int k = 0; k < 3; k++) {
                    String name = OnnxExporter.outputNames().get(3 * l + k);
                    double e = OnnxRuntimeCheck.error(ort.get(name), Tensors.toFloats(io.get(pyKinds[k] + l)));
                    assertTrue(e <= OnnxRuntimeCheck.TOL, name + ": " + e);
                    worst = Math.max(worst, e);
                }
            }
            System.out.printf("fixture model: max |ort - pytorch| / max(1, max|pytorch|) over the outputs %.2e%n", worst);
        }
    }

    @Test
    void sizesThatAreNotMultiplesOf32AreRefused() {
        try (TensorScope scope = TensorScope.open()) {
            DwDetector model = new DwDetector(new ModelConfig(18, 8, 1, 16, 16, 1, 4, 3, false, false));
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> OnnxExporter.exportFixed(model, 60, 96));
            assertTrue(e.getMessage().contains("60x96"), e.getMessage());
        }
    }

    @Test
    void outputsAreNamedLevelByLevel() {
        List<String> names = OnnxExporter.outputNames();
        assertEquals(15, names.size());
        assertEquals(List.of("cls_logits_p3", "distances_p3", "obj_logits_p3"), names.subList(0, 3));
        assertEquals("obj_logits_p7", names.get(14));
    }

    /** Exports {@code cfg} with random norms and runs each (batch, height, width) in ORT and libtorch. */
    private static void check(ModelConfig cfg, Path tmp, boolean dynamic, int[][] inputs) throws Exception {
        try (TensorScope scope = TensorScope.open(); NoGradGuard g = new NoGradGuard()) {
            torch.manual_seed(7);
            DwDetector model = new DwDetector(cfg);
            OnnxRuntimeCheck.randomise(model);
            OnnxModel onnx = dynamic ? OnnxExporter.exportDynamic(model) : OnnxExporter.exportFixed(model, inputs[0][1], inputs[0][2]);
            Path file = tmp.resolve((dynamic ? "dynamic" : "fixed") + ".onnx");
            onnx.write(file);
            assertTrue(Files.size(file) > onnx.initializerBytes(), "file holds the weights");
            assertEquals(dynamic, onnx.dynamic());
            OnnxRuntimeCheck.compare(model, file, inputs, cfg + (dynamic ? " dynamic" : " fixed"));
        }
    }
}
