package dev.dwjava.train.cli;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.dwjava.core.runtime.ComputeDevice;
import dev.dwjava.core.runtime.TensorScope;
import dev.dwjava.core.runtime.Torch;
import dev.dwjava.model.DwDetector;
import dev.dwjava.model.ModelConfig;
import dev.dwjava.train.dist.C10dCollectives;
import dev.dwjava.train.dist.Collectives;
import dev.dwjava.train.dist.DistEnv;
import dev.dwjava.train.dist.GradientAverager;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code dw bench allreduce}: the gradient synchronisation of data-parallel training on tensors shaped like the
 * R-50 DW model's parameters (about 32 M floats), bucketed as training does it, against one flat all-reduce of the
 * same number of floats. Run it under the launcher, e.g. {@code tools/dist_bench.sh 2}.
 */
@Command(name = "allreduce", description = {"Bucketed gradient all-reduce vs one flat all-reduce of R-50-sized gradients",
        "(run through tools/dist_bench.sh N). Rank 0 prints JSON."})
final class BenchAllreduceCommand implements Callable<Integer> {
    @Option(names = "--bucket-mb", defaultValue = "25", description = "Bucket size in MiB (default ${DEFAULT-VALUE}, as training).")
    int bucketMb;

    @Option(names = "--iters", defaultValue = "5", description = "Measured rounds after 2 warm-up ones (default ${DEFAULT-VALUE}).")
    int iters;

    @Option(names = "--device", defaultValue = "cpu", description = "cpu (Gloo) or cuda (NCCL) (default ${DEFAULT-VALUE}).")
    String device;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        DistEnv env = DistEnv.fromEnvironment(System.getenv());
        if (!env.distributed()) {
            throw new IllegalArgumentException("dw bench allreduce needs several processes: run tools/dist_bench.sh 2");
        }
        Torch.init();
        ComputeDevice dev = ComputeDevice.parse(device).forLocalRank(env.localRank()).requireAvailable();
        try (Collectives c = C10dCollectives.open(env, dev); TensorScope scope = TensorScope.open()) {
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
                sync(dev);
                long t1 = System.nanoTime();
                c.barrier();
                long t2 = System.nanoTime();
                c.allreduceSum(List.of(flat));
                flat.div_(new org.bytedeco.pytorch.Scalar((double) env.worldSize()));  // as the bucketed path averages
                sync(dev);
                long t3 = System.nanoTime();
                if (k >= 0) {
                    bucketMs[k] = (t1 - t0) / 1e6;
                    flatMs[k] = (t3 - t2) / 1e6;
                }
            }
            if (env.isMain()) {
                double b = BenchCommand.median(bucketMs), f = BenchCommand.median(flatMs);
                Map<String, Object> r = new LinkedHashMap<>();
                r.put("processes", env.worldSize());
                r.put("backend", dev.cuda() ? "nccl" : "gloo");
                r.put("tensors", grads.size());
                r.put("floats", floats);
                r.put("bucket_mb", bucketMb);
                r.put("bucketed_ms_median", b);
                r.put("flat_ms_median", f);
                r.put("bucketed_gb_per_s", floats * 4 / 1e9 / (b / 1e3));
                r.put("flat_gb_per_s", floats * 4 / 1e9 / (f / 1e3));
                r.put("threads", Torch.init().threads());
                spec.commandLine().getOut().println(new ObjectMapper().writerWithDefaultPrettyPrinter().writeValueAsString(r));
                spec.commandLine().getOut().flush();
            }
        }
        return 0;
    }

    private static void sync(ComputeDevice dev) {
        if (dev.cuda()) {
            org.bytedeco.pytorch.global.torch_cuda.device_synchronize();
        }
    }
}
