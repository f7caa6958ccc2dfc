package dev.dwjava.bench;

import java.nio.FloatBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import dev.dwjava.core.runtime.TensorScope;
import dev.dwjava.core.runtime.Torch;
import dev.dwjava.core.tensor.Tensors;
import dev.dwjava.model.DwDetector;
import dev.dwjava.model.ModelConfig;
import dev.dwjava.model.config.ConfigFiles;
import dev.dwjava.model.head.LevelOutput;
import dev.dwjava.model.onnx.OnnxExporter;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/**
 * The same model, the same 1×3×H×W input, in one process: our libtorch forward and ONNX Runtime (CPU provider, all graph
 * optimizations, {@code threads} intra-op threads, one inter-op thread, no spinning between runs) on the graph
 * {@code OnnxExporter} writes, timed alternately (the order swapped every round, so drift on a shared machine hits
 * both), after warm-up runs. Random weights (the paper's initialisation). Prints per size both medians, ranges and the
 * ratio, and the largest output difference as a check that both ran the same network.
 *
 * <p>Usage: {@code bin/bench onnx [--config C] [--sizes 800x1216,512x512] [--rounds 10] [--warmup 2] [--threads 2]}.
 */
public final class OnnxVsLibtorch {
    private OnnxVsLibtorch() {}

    public static void main(String[] args) throws Exception {
        Path config = Path.of("configs/dw_r50_fpn_worefine_1x_coco.yaml");
        String sizes = "800x1216,512x512";
        int rounds = 10, warmup = 2, threads = 2;
        for (int i = 0; i < args.length; i += 2) {
            String v = i + 1 < args.length ? args[i + 1] : "";
            switch (args[i]) {
                case "--config" -> config = Path.of(v);
                case "--sizes" -> sizes = v;
                case "--rounds" -> rounds = Integer.parseInt(v);
                case "--warmup" -> warmup = Integer.parseInt(v);
                case "--threads" -> threads = Integer.parseInt(v);
                default -> {
                    System.err.println("usage: bin/bench onnx [--config C] [--sizes HxW,HxW] [--rounds N] [--warmup N] [--threads T]");
                    System.exit(2);
                }
            }
        }
        Torch.init();
        torch.set_num_threads(threads);
        ModelConfig cfg = ConfigFiles.load(config, List.of()).section("model", ModelConfig.class);
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        System.out.printf(Locale.ROOT, "config %s, random weights, libtorch %d intra-op threads, ONNX Runtime %s with %d, %d rounds after %d warm-up%n",
                config, torch.get_num_threads(), env.getVersion(), threads, rounds, warmup);
        try (TensorScope scope = TensorScope.open(); NoGradGuard g = new NoGradGuard()) {
            torch.manual_seed(0);
            DwDetector model = new DwDetector(cfg);
            for (String size : sizes.split(",")) {
                String[] hw = size.toLowerCase(Locale.ROOT).split("x");
                run(model, env, Integer.parseInt(hw[0]), Integer.parseInt(hw[1]), rounds, warmup, threads);
            }
        }
    }

    private static void run(DwDetector model, OrtEnvironment env, int h, int w, int rounds, int warmup, int threads) throws Exception {
        long t0 = System.nanoTime();
        byte[] bytes = OnnxExporter.exportFixed(model, h, w).toByteArray();
        double exportMs = (System.nanoTime() - t0) / 1e6;
        try (OrtSession.SessionOptions opts = new OrtSession.SessionOptions()) {
            opts.setIntraOpNumThreads(threads);
            opts.setInterOpNumThreads(1);
            opts.setExecutionMode(OrtSession.SessionOptions.ExecutionMode.SEQUENTIAL);
            opts.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
            // Idle ORT threads would otherwise spin on the cores while libtorch runs its turn.
            opts.addConfigEntry("session.intra_op.allow_spinning", "0");
            t0 = System.nanoTime();
            try (OrtSession session = env.createSession(bytes, opts)) {
                double sessionMs = (System.nanoTime() - t0) / 1e6;
                Tensor x = torch.randn(1, 3, h, w);
                try (OnnxTensor input = OnnxTensor.createTensor(env, FloatBuffer.wrap(Tensors.toFloats(x)), new long[] {1, 3, h, w})) {
                    double diff = check(model, session, x, input);
                    for (int i = 0; i < warmup; i++) {
                        timeTorch(model, x);
                        timeOrt(session, input);
                    }
                    List<Double> tt = new ArrayList<>(), ot = new ArrayList<>();
                    for (int r = 0; r < rounds; r++) {
                        if (r % 2 == 0) {
                            tt.add(timeTorch(model, x));
                            ot.add(timeOrt(session, input));
                        } else {
                            ot.add(timeOrt(session, input));
                            tt.add(timeTorch(model, x));
                        }
                    }
                    double tm = median(tt), om = median(ot);
                    System.out.printf(Locale.ROOT, "%dx%d: libtorch median %.1f ms (%.1f-%.1f), ONNX Runtime median %.1f ms (%.1f-%.1f),"
                                    + " libtorch/ORT %.2f; export %.0f ms (%.1f MB), session %.0f ms; max |ort - torch| / max(1, max|torch|) %.1e%n",
                            h, w, tm, min(tt), max(tt), om, min(ot), max(ot), tm / om, exportMs, bytes.length / 1e6, sessionMs, diff);
                }
            }
        }
    }

    private static double timeTorch(DwDetector model, Tensor x) {
        try (TensorScope s = TensorScope.open()) {
            long t = System.nanoTime();
            model.forward(x);
            return (System.nanoTime() - t) / 1e6;
        }
    }

    private static double timeOrt(OrtSession session, OnnxTensor input) throws Exception {
        long t = System.nanoTime();
        try (OrtSession.Result r = session.run(Map.of(OnnxExporter.INPUT, input))) {
            return (System.nanoTime() - t) / 1e6;
        }
    }

    /** Largest per-output {@code max|ort − torch| / max(1, max|torch|)}. */
    private static double check(DwDetector model, OrtSession session, Tensor x, OnnxTensor input) throws Exception {
        double worst = 0;
        try (TensorScope s = TensorScope.open(); OrtSession.Result r = session.run(Map.of(OnnxExporter.INPUT, input))) {
            List<LevelOutput> levels = model.forward(x).levels();
            for (int l = 0; l < levels.size(); l++) {
                Tensor[] ours = {levels.get(l).clsLogits(), levels.get(l).distances(), levels.get(l).objLogits()};
                for (int k = 0; k < 3; k++) {
                    float[] want = Tensors.toFloats(ours[k]);
                    float[] got = new float[want.length];
                    ((OnnxTensor) r.get(OnnxExporter.outputNames().get(3 * l + k)).orElseThrow()).getFloatBuffer().get(got);
                    double diff = 0, scale = 1;
                    for (int i = 0; i < got.length; i++) {
                        diff = Math.max(diff, Math.abs(got[i] - want[i]));
                        scale = Math.max(scale, Math.abs(want[i]));
                    }
                    worst = Math.max(worst, diff / scale);
                }
            }
        }
        return worst;
    }

    private static double median(List<Double> v) {
        double[] a = v.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        return a.length % 2 == 1 ? a[a.length / 2] : (a[a.length / 2 - 1] + a[a.length / 2]) / 2;
    }

    private static double min(List<Double> v) {
        return v.stream().mapToDouble(Double::doubleValue).min().orElse(Double.NaN);
    }

    private static double max(List<Double> v) {
        return Arrays.stream(v.stream().mapToDouble(Double::doubleValue).toArray()).max().orElse(Double.NaN);
    }
}
