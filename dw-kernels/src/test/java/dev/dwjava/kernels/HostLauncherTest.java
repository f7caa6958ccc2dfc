package dev.dwjava.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.dwjava.core.ScopedTensors;
import dev.dwjava.core.tensor.Tensors;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch.ScalarType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** The launch path shared by both launchers: argument packing, signature checks, device checks, clear errors. */
@ExtendWith(ScopedTensors.class)
class HostLauncherTest {
    private final HostKernelLauncher host = HostKernels.launcher(32);

    @Test
    void signaturesComeFromTheKernelDeclarations() {
        assertEquals("FFllifF", HostKernelLauncher.signatureOf("dw_pairwise_overlaps_f32"));
        assertEquals("DDllidD", HostKernelLauncher.signatureOf("dw_pairwise_overlaps_f64"));
        assertEquals("LLlllLB", HostKernelLauncher.signatureOf("dw_nms_gather_keep"));
        assertEquals("FlFLLII", HostKernelLauncher.signatureOf("dw_count_inside_f32"));
        assertNull(HostKernelLauncher.signatureOf("no_such_kernel"));
    }

    @Test
    void aLaunchWithWrongArgumentKindsIsRefusedWithBothSignatures() {
        Tensor a = Tensors.of(new double[] {0, 0, 1, 1}, ScalarType.Float, 1, 4);
        try (KernelArgs args = new KernelArgs().tensor("a", a, ScalarType.Float).tensor("b", a, ScalarType.Float).i32(1).i64(1)
                .i32(0).f64(1e-6).tensor("out", a, ScalarType.Float)) {
            KernelException e = assertThrows(KernelException.class, () -> host.launch("dw_pairwise_overlaps_f32", 1, 1, 32, args));
            assertTrue(e.getMessage().contains("takes parameters (FFllifF) but the launch passed (FFilidF)"), e.getMessage());
        }
    }

    @Test
    void unknownKernelsAndBadBlocksAreNamed() {
        try (KernelArgs args = new KernelArgs().i32(1)) {
            KernelException e = assertThrows(KernelException.class, () -> host.launch("dw_missing", 1, 1, 32, args));
            assertTrue(e.getMessage().contains("no kernel named dw_missing"), e.getMessage());
            IllegalArgumentException tooWide = assertThrows(IllegalArgumentException.class,
                    () -> host.launch("dw_nms_gather_keep", 1, 1, 2048, args));
            assertTrue(tooWide.getMessage().contains("cannot run 2048 threads per block; its limit is 1024"), tooWide.getMessage());
        }
        assertThrows(IllegalArgumentException.class, () -> new HostKernelLauncher(48));
    }

    @Test
    void inputsOfTheWrongTypeOrLayoutAreRejectedBeforeLaunch() {
        KernelBoxOverlaps k = new KernelBoxOverlaps(host);
        Tensor ints = Tensors.ofLongs(new long[] {0, 0, 1, 1}, 1, 4);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> k.pairwiseIou(ints, ints));
        assertTrue(e.getMessage().contains("boxes a") && e.getMessage().contains("float32 or float64"), e.getMessage());
        Tensor wide = Tensors.of(new double[8], ScalarType.Float, 4, 2).t();  // non-contiguous (2, 4) view
        try (KernelArgs args = new KernelArgs()) {
            e = assertThrows(IllegalArgumentException.class, () -> args.tensor("wide", wide, ScalarType.Float));
            assertTrue(e.getMessage().contains("wide must be contiguous"), e.getMessage());
        }
    }

    @Test
    void barriersSeparateTheBlocksPhasesAndSharedMemoryIsPerBlock() {
        int blocks = 3, block = 64;
        double[] in = new double[blocks * block];
        for (int i = 0; i < in.length; i++) {
            in[i] = i;
        }
        Tensor x = Tensors.of(in, ScalarType.Float, in.length), y = Tensors.zeros(x, in.length);
        try (KernelArgs args = new KernelArgs().tensor("in", x, ScalarType.Float).tensor("out", y, ScalarType.Float)) {
            host.launch("dw_probe_reverse_block", blocks, 1, block, args);
        }
        double[] out = Tensors.toDoubles(y);
        for (int b = 0; b < blocks; b++) {
            for (int t = 0; t < block; t++) {
                assertEquals(b * block + (block - 1 - t), out[b * block + t], "block " + b + " thread " + t);
            }
        }
    }

    @Test
    void aBarrierSkippedByOneThreadIsReported() {
        Tensor y = Tensors.zeros(Tensors.of(new double[1], ScalarType.Float, 1), 32);
        try (KernelArgs args = new KernelArgs().tensor("out", y, ScalarType.Float)) {
            KernelException e = assertThrows(KernelException.class, () -> host.launch("dw_probe_divergent_barrier", 1, 1, 32, args));
            assertTrue(e.getMessage().contains("divergent __syncthreads(): block (0,0,0) thread (0,0,0) returned"), e.getMessage());
        }
    }
}
