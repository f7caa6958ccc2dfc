package dev.dwjava.model.onnx;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import dev.dwjava.core.runtime.TensorScope;
import dev.dwjava.core.runtime.Torch;
import dev.dwjava.core.tensor.Tensors;
import dev.dwjava.model.DwDetector;
import dev.dwjava.model.ModelConfig;
import dev.dwjava.model.head.LevelOutput;
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
    /** Per output tensor: max |ort − torch| ≤ TOL · max(1, max |torch|). */
    private static final double TOL = 1e-4;

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
            randomise(model);
            OnnxModel onnx = dynamic ? OnnxExporter.exportDynamic(model) : OnnxExporter.exportFixed(model, inputs[0][1], inputs[0][2]);
            Path file = tmp.resolve((dynamic ? "dynamic" : "fixed") + ".onnx");
            onnx.write(file);
            assertTrue(Files.size(file) > onnx.initializerBytes(), "file holds the weights");
            OrtEnvironment env = OrtEnvironment.getEnvironment();
            try (OrtSession.SessionOptions opts = new OrtSession.SessionOptions()) {
                opts.setIntraOpNumThreads(2);
                opts.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
                try (OrtSession session = env.createSession(file.toString(), opts)) {
                    assertEquals(OnnxExporter.outputNames(), List.copyOf(session.getOutputNames()));
                    for (int[] in : inputs) {
                        compare(model, session, env, in[0], in[1], in[2], cfg + (dynamic ? " dynamic " : " fixed ") + java.util.Arrays.toString(in));
                    }
                }
            }
        }
    }

    private static void compare(DwDetector model, OrtSession session, OrtEnvironment env, int b, int h, int w, String what)
            throws Exception {
        Tensor x = torch.randn(b, 3, h, w);
        List<LevelOutput> levels = model.forward(x).levels();
        try (OnnxTensor input = OnnxTensor.createTensor(env, FloatBuffer.wrap(Tensors.toFloats(x)), new long[] {b, 3, h, w});
             OrtSession.Result r = session.run(Map.of(OnnxExporter.INPUT, input))) {
            double[] spread = new double[3];
            double[] err = new double[3];
            for (int l = 0; l < levels.size(); l++) {
                Tensor[] ours = {levels.get(l).clsLogits(), levels.get(l).distances(), levels.get(l).objLogits()};
                for (int k = 0; k < 3; k++) {
                    String name = OnnxExporter.outputNames().get(3 * l + k);
                    OnnxTensor t = (OnnxTensor) r.get(name).orElseThrow();
                    assertArrayEquals(ours[k].shape(), t.getInfo().getShape(), what + " " + name + " shape");
                    float[] got = new float[(int) ours[k].numel()];
                    t.getFloatBuffer().get(got);
                    float[] want = Tensors.toFloats(ours[k]);
                    double diff = 0, scale = 1;
                    for (int i = 0; i < got.length; i++) {
                        diff = Math.max(diff, Math.abs(got[i] - want[i]));
                        scale = Math.max(scale, Math.abs(want[i]));
                        spread[k] = Math.max(spread[k], Math.abs(want[i] - want[0]));
                    }
                    err[k] = Math.max(err[k], diff / scale);
                    assertTrue(diff <= TOL * scale, what + " " + name + ": max |ort - torch| " + diff + " > 1e-4 · " + scale);
                }
            }
            for (int k = 0; k < 3; k++) {
                // Values that vary within a level: a constant output would make the comparison weak.
                assertTrue(spread[k] > 1e-2, what + " output kind " + k + " is nearly constant: " + spread[k]);
            }
            System.out.printf("%s: max |ort - torch| / max(1, max|torch|): cls %.2e, distances %.2e, obj %.2e%n", what, err[0], err[1], err[2]);
        }
    }

    /**
     * Random batch-norm statistics and affines (so folding matters), group-norm affines, level scales, and offset convs
     * 20 times their init (offsets of about a pixel, so sampling between and beyond pixels is exercised).
     */
    private static void randomise(DwDetector model) {
        Map<String, Tensor> state = WeightLoader.stateOf(model);
        for (Map.Entry<String, Tensor> e : state.entrySet()) {
            String k = e.getKey();
            Tensor t = e.getValue();
            if (k.endsWith(".running_var")) {
                t.copy_(torch.rand_like(t).add(Tensors.s(0.5)));
            } else if (k.endsWith(".running_mean")) {
                t.copy_(torch.randn_like(t).mul(Tensors.s(0.1)));
            } else if (k.endsWith(".weight") && (state.containsKey(k.replace(".weight", ".running_var")) || k.contains(".gn."))) {
                t.copy_(torch.rand_like(t).add(Tensors.s(0.5)));
            } else if (k.endsWith(".bias") && (state.containsKey(k.replace(".bias", ".running_var")) || k.contains(".gn."))) {
                t.copy_(torch.randn_like(t).mul(Tensors.s(0.1)));
            } else if (k.endsWith(".scale")) {
                t.copy_(torch.rand_like(t).add(Tensors.s(0.5)));
            } else if (k.contains("conv_offset.") || k.startsWith("bbox_head.reg_offset.")) {
                t.mul_(Tensors.s(20.0));
            }
        }
    }
}
