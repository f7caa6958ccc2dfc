package dev.dwjava.train.bench;

import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

import dev.dwjava.core.runtime.ComputeDevice;
import dev.dwjava.core.runtime.Precision;
import dev.dwjava.core.runtime.TensorScope;
import dev.dwjava.kernels.Ops;
import dev.dwjava.model.DwDetector;
import dev.dwjava.model.head.HeadOutputs;
import dev.dwjava.model.postprocess.ImageMeta;
import dev.dwjava.model.postprocess.PostProcessor;
import dev.dwjava.model.postprocess.TestConfig;
import dev.dwjava.model.weights.WeightLoader;
import dev.dwjava.train.config.DwConfig;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/**
 * Forward and post-processing time per batch of random images, after two warm-up batches. With {@code test.amp} other
 * than off it also times fp32 forwards of the same model on the same inputs, alternating, and prints both medians and
 * their ratio.
 */
public final class InferenceBench {
    private InferenceBench() {}

    /** @param weights a checkpoint to load, or null for the seeded random initialisation */
    public static Map<String, Object> run(DwConfig cfg, Path weights, ComputeDevice device, int batch, int[] hw, int iters)
            throws IOException {
        torch.manual_seed(0);
        DwDetector model = new DwDetector(cfg.model());
        if (weights != null) {
            WeightLoader.loadModel(model, weights, true);
        }
        model.moveTo(device);
        PostProcessor post = new PostProcessor(cfg.test(), Ops.forDevice(device).nms());
        TestConfig fp32 = cfg.test().withAmp(null);
        boolean mixed = cfg.test().precision(device) != Precision.OFF;
        double[] fwd = new double[iters], pp = new double[iters], peer = new double[iters];
        for (int k = -2; k < iters; k++) {
            try (TensorScope scope = TensorScope.open(); NoGradGuard g = new NoGradGuard()) {
                Tensor x = torch.randn(batch, 3, hw[0], hw[1]).to(device.torchDevice(), torch.ScalarType.Float);
                if (mixed && (k & 1) == 0) {
                    peer[Math.max(k, 0)] = timedForward(fp32, model, x, device);   // alternate which goes first
                }
                long t0 = System.nanoTime();
                HeadOutputs out = cfg.test().forward(model, x);
                BenchStats.sync(device);
                long t1 = System.nanoTime();
                if (mixed && (k & 1) != 0) {
                    peer[Math.max(k, 0)] = timedForward(fp32, model, x, device);
                }
                for (int b = 0; b < batch; b++) {
                    post.process(out, b, new ImageMeta(hw[0], hw[1], 1, 1));
                }
                BenchStats.sync(device);
                long t2 = System.nanoTime();
                if (k >= 0) {
                    fwd[k] = (t1 - t0) / 1e6;
                    pp[k] = (t2 - t1) / 1e6;
                }
            }
        }
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("input", batch + "x3x" + hw[0] + "x" + hw[1]);
        r.put("forward_ms_median", BenchStats.median(fwd));
        r.put("postprocess_ms_median", BenchStats.median(pp));
        r.put("total_ms_median", BenchStats.median(fwd) + BenchStats.median(pp));
        if (mixed) {
            r.put("amp", cfg.test().precision(device).toString());
            r.put("fp32_forward_ms_median", BenchStats.median(peer));
            r.put("forward_time_vs_fp32", BenchStats.median(fwd) / BenchStats.median(peer));
            if (!device.cuda()) {
                r.put("cpu_native_bf16", Precision.cpuHasBf16());
            }
        }
        return r;
    }

    private static double timedForward(TestConfig test, DwDetector model, Tensor x, ComputeDevice device) {
        long t0 = System.nanoTime();
        test.forward(model, x);
        BenchStats.sync(device);
        return (System.nanoTime() - t0) / 1e6;
    }
}
