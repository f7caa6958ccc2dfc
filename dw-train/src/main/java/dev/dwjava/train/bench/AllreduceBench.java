package dev.dwjava.train.bench;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import dev.dwjava.core.runtime.ComputeDevice;
import dev.dwjava.core.runtime.TensorScope;
import dev.dwjava.core.runtime.Torch;
import dev.dwjava.model.DwDetector;
import dev.dwjava.model.ModelConfig;
import dev.dwjava.train.dist.Collectives;
import dev.dwjava.train.dist.GradientAverager;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/**
 * The gradient synchronisation of data-parallel training on tensors shaped like the R-50 DW model's parameters
 * (about 32 M floats), bucketed as training does it, against one flat all-reduce of the same number of floats.
 */
public final class AllreduceBench {
    private AllreduceBench() {}

    /** A collective: every rank calls it. @return the figures (meaningful on every rank; rank 0 prints them) */
    public static Map<String, Object> run(Collectives c, ComputeDevice dev, int bucketMb, int iters) {
        try (TensorScope scope = TensorScope.open()) {
            List<Tensor> grads = new ArrayList<>();
            long floats = 0;
            try (TensorScope shapes = TensorScope.open()) {
                for (Tensor p : new DwDetector(ModelConfig.paper(50, true)).parameterList()) {
                    grads.add(scope.handOut(torch.randn(p.shape()).to(dev.torchDevice(), p.scalar_type())));
                    floats += p.numel();
                }
            }
            Tensor flat = torch.randn(floats).to(dev.torchDevice(), torch.ScalarType.Float);
            GradientAverager bucketed = new GradientAverager(c, (long) bucketMb << 20);
            double[] bucketMs = new double[iters], flatMs = new double[iters];
            for (int k = -2; k < iters; k++) {
                c.barrier();
                long t0 = System.nanoTime();
                bucketed.averageInPlace(grads);
                BenchStats.sync(dev);
                long t1 = System.nanoTime();
                c.barrier();
                long t2 = System.nanoTime();
                c.allreduceSum(List.of(flat));
                flat.div_(new Scalar((double) c.worldSize()));  // as the bucketed path averages
                BenchStats.sync(dev);
                long t3 = System.nanoTime();
                if (k >= 0) {
                    bucketMs[k] = (t1 - t0) / 1e6;
                    flatMs[k] = (t3 - t2) / 1e6;
                }
            }
            double b = BenchStats.median(bucketMs), f = BenchStats.median(flatMs);
            Map<String, Object> r = new LinkedHashMap<>();
            r.put("processes", c.worldSize());
            r.put("backend", dev.cuda() ? "nccl" : "gloo");
            r.put("tensors", grads.size());
            r.put("floats", floats);
            r.put("bucket_mb", bucketMb);
            r.put("bucketed_ms_median", b);
            r.put("flat_ms_median", f);
            r.put("bucketed_gb_per_s", floats * 4 / 1e9 / (b / 1e3));
            r.put("flat_gb_per_s", floats * 4 / 1e9 / (f / 1e3));
            r.put("threads", Torch.init().threads());
            return r;
        }
    }
}
