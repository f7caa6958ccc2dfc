package dev.dwjava.train.dist;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.List;

import dev.dwjava.core.runtime.ComputeDevice;
import dev.dwjava.core.runtime.TensorScope;
import dev.dwjava.core.runtime.Torch;
import dev.dwjava.core.tensor.Tensors;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The NCCL process group on one GPU (world size 1): it is created, and all-reduce, broadcast and barrier run on CUDA
 * tensors. Run with {@code mvn -Pgpu test}; skipped where libtorch sees no GPU. Several GPUs are exercised by
 * {@code tools/dist_train.sh} with {@code runtime.device: cuda}.
 */
@Tag("gpu")
class NcclCollectivesTest {

    @Test
    void collectivesRunOnOneGpu() {
        Torch.init();
        assumeTrue(torch.cuda_is_available(), "libtorch sees no CUDA device");
        DistEnv env = new DistEnv(0, 1, 0, "127.0.0.1", 29731, 60);
        try (Collectives c = new NcclCollectives(env, ComputeDevice.parse("cuda")); TensorScope scope = TensorScope.open()) {
            Tensor t = Tensors.of(new double[] {1, 2, 3}, torch.ScalarType.Float, 3).cuda();
            c.allreduceSum(List.of(t));
            c.broadcast(List.of(t), 0);
            c.barrier();
            assertArrayEquals(new double[] {1, 2, 3}, Tensors.toDoubles(t), 0);
        }
    }
}
