package dev.dwjava.train.dist;

import dev.dwjava.core.runtime.ComputeDevice;
import org.bytedeco.pytorch.global.torch_cuda;
import org.bytedeco.pytorch.nccl.ProcessGroupNCCL;

/**
 * c10d with the NCCL backend: one process per GPU, CUDA tensors, collectives on the GPU's streams. Needs the GPU build
 * ({@code mvn -Pgpu}) and NCCL 2 on the host. The process first makes its GPU current, so NCCL and libtorch agree.
 *
 * <p>Not exercised by the tests (they run on CPU machines); it shares everything but the backend's construction with
 * {@link GlooCollectives}, which the two-process tests cover.
 */
public final class NcclCollectives extends C10dCollectives {

    public NcclCollectives(DistEnv env, ComputeDevice device) {
        super(env);
        ComputeDevice gpu = device.forLocalRank(env.localRank()).requireAvailable();
        torch_cuda.set_device((byte) gpu.index());
        ProcessGroupNCCL.Options options = ProcessGroupNCCL.Options.create();
        options.timeout(timeout);
        try {
            use(new ProcessGroupNCCL(store, env.rank(), env.worldSize(), options));
        } catch (RuntimeException | UnsatisfiedLinkError e) {
            throw new IllegalStateException("rank " + env.rank() + ": cannot create the NCCL process group on " + gpu
                    + " (is this the GPU build, with NCCL 2 installed?): " + e.getMessage(), e);
        }
    }
}
