package dev.dwjava.model.onnx;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.FloatBuffer;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import dev.dwjava.core.tensor.Tensors;
import dev.dwjava.model.DwDetector;
import dev.dwjava.model.head.LevelOutput;
import dev.dwjava.model.weights.WeightLoader;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/**
 * Runs an exported file in ONNX Runtime (CPU, 2 intra-op threads, all graph optimizations) and compares every output
 * with the libtorch forward of the same model, within {@code max|ort − torch| ≤ 1e-4 · max(1, max|torch|)} per output
 * tensor. Shared by dw-model's and dw-train's tests (call within a NoGradGuard and a TensorScope).
 */
public final class OnnxRuntimeCheck {
    /** Per output tensor: max |ort − torch| ≤ TOL · max(1, max |torch|). */
    public static final double TOL = 1e-4;

    private OnnxRuntimeCheck() {}

    /**
     * Runs {@code file} on each (batch, height, width) of {@code inputs} (random normal images) and asserts the match.
     *
     * @return per output kind (cls, distances, obj) the largest {@code max|ort − torch| / max(1, max|torch|)} seen
     */
    public static double[] compare(DwDetector model, Path file, int[][] inputs, String what) throws Exception {
        double[] worst = new double[3];
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        try (OrtSession.SessionOptions opts = new OrtSession.SessionOptions()) {
            opts.setIntraOpNumThreads(2);
            opts.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
            try (OrtSession session = env.createSession(file.toString(), opts)) {
                assertEquals(OnnxExporter.outputNames(), List.copyOf(session.getOutputNames()));
                for (int[] in : inputs) {
                    double[] e = compareOne(model, session, env, in[0], in[1], in[2], what + " " + java.util.Arrays.toString(in));
                    for (int k = 0; k < 3; k++) {
                        worst[k] = Math.max(worst[k], e[k]);
                    }
                }
            }
        }
        return worst;
    }

    /** Runs {@code file} on {@code x} (B, 3, H, W) and returns every output, by name, as floats. */
    public static Map<String, float[]> run(Path file, Tensor x) throws Exception {
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        Map<String, float[]> out = new java.util.LinkedHashMap<>();
        try (OrtSession.SessionOptions opts = new OrtSession.SessionOptions()) {
            opts.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
            try (OrtSession session = env.createSession(file.toString(), opts);
                 OnnxTensor input = OnnxTensor.createTensor(env, FloatBuffer.wrap(Tensors.toFloats(x)), x.shape());
                 OrtSession.Result r = session.run(Map.of(OnnxExporter.INPUT, input))) {
                for (String name : OnnxExporter.outputNames()) {
                    FloatBuffer b = ((OnnxTensor) r.get(name).orElseThrow()).getFloatBuffer();
                    float[] v = new float[b.remaining()];
                    b.get(v);
                    out.put(name, v);
                }
            }
        }
        return out;
    }

    /** {@code max|got − want| / max(1, max|want|)}. */
    public static double error(float[] got, float[] want) {
        assertEquals(want.length, got.length, "element count");
        double diff = 0, scale = 1;
        for (int i = 0; i < got.length; i++) {
            diff = Math.max(diff, Math.abs(got[i] - want[i]));
            scale = Math.max(scale, Math.abs(want[i]));
        }
        return diff / scale;
    }

    private static double[] compareOne(DwDetector model, OrtSession session, OrtEnvironment env, int b, int h, int w,
                                       String what) throws Exception {
        Tensor x = torch.randn(b, 3, h, w);
        List<LevelOutput> levels = model.forward(x).levels();
        double[] spread = new double[3], err = new double[3];
        try (OnnxTensor input = OnnxTensor.createTensor(env, FloatBuffer.wrap(Tensors.toFloats(x)), new long[] {b, 3, h, w});
             OrtSession.Result r = session.run(Map.of(OnnxExporter.INPUT, input))) {
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
        }
        for (int k = 0; k < 3; k++) {
            // Values that vary within a level: a constant output would make the comparison weak.
            assertTrue(spread[k] > 1e-2, what + " output kind " + k + " is nearly constant: " + spread[k]);
        }
        System.out.printf("%s: max |ort - torch| / max(1, max|torch|): cls %.2e, distances %.2e, obj %.2e%n", what, err[0],
                err[1], err[2]);
        return err;
    }

    /**
     * Random batch-norm statistics and affines (so folding matters), group-norm affines, level scales, and offset convs
     * 20 times their init (offsets of about a pixel, so sampling between and beyond pixels is exercised).
     */
    public static void randomise(DwDetector model) {
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
