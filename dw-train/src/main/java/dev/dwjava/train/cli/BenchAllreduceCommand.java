package dev.dwjava.train.cli;

import java.util.concurrent.Callable;

import dev.dwjava.core.runtime.ComputeDevice;
import dev.dwjava.core.runtime.Torch;
import dev.dwjava.train.bench.AllreduceBench;
import dev.dwjava.train.dist.C10dCollectives;
import dev.dwjava.train.dist.Collectives;
import dev.dwjava.train.dist.DistEnv;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code dw bench allreduce}: bucketed vs flat gradient all-reduce ({@link AllreduceBench}). Run it under the launcher,
 * e.g. {@code tools/dist_bench.sh 2}.
 */
@Command(name = "allreduce", description = {"Bucketed gradient all-reduce vs one flat all-reduce of R-50-sized gradients",
        "(run through tools/dist_bench.sh N). Rank 0 prints JSON."})
final class BenchAllreduceCommand implements Callable<Integer> {
    @Option(names = "--bucket-mb", defaultValue = "25", description = "Bucket size in MiB (default ${DEFAULT-VALUE}, as training).")
    int bucketMb;

    @Option(names = "--iters", defaultValue = "5", description = "Measured rounds after 2 warm-up ones (default ${DEFAULT-VALUE}).")
    int iters;

    @Mixin
    DeviceOption device;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        DistEnv env = DistEnv.fromEnvironment(System.getenv());
        if (!env.distributed()) {
            throw new IllegalArgumentException("dw bench allreduce needs several processes: run tools/dist_bench.sh 2");
        }
        Torch.init();
        ComputeDevice dev = device.parse().forLocalRank(env.localRank()).requireAvailable();
        try (Collectives c = C10dCollectives.open(env, dev)) {
            var r = AllreduceBench.run(c, dev, bucketMb, iters);
            if (env.isMain()) {
                BenchCommand.printJson(spec, r);
            }
        }
        return 0;
    }
}
