package dev.dwjava.kernels;

import dev.dwjava.core.box.BoxOps;
import dev.dwjava.core.tensor.Tensors;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch.ScalarType;

/**
 * {@link BoxOps#pairwiseIou} and {@link BoxOps#pairwiseGiou} with the {@code dw_pairwise_overlaps} kernel: one thread
 * per (i, j), no broadcast temporaries. No production path needs pairwise overlaps (the DW assignment takes aligned
 * IoUs of its inside pairs); this exists so that the tests, the contract cases and the benchmarks exercise the IoU
 * device functions of {@code box_overlaps.cu}, which the fused weighting kernel is built on.
 */
public final class KernelBoxOverlaps {
    private final KernelLauncher launcher;

    public KernelBoxOverlaps(KernelLauncher launcher) {
        this.launcher = launcher;
    }

    /** @return (N, M) IoU of (N, 4) and (M, 4) xyxy boxes */
    public Tensor pairwiseIou(Tensor a, Tensor b) {
        return pairwise(a, b, false);
    }

    /** @return (N, M) GIoU, in [-1, 1] */
    public Tensor pairwiseGiou(Tensor a, Tensor b) {
        return pairwise(a, b, true);
    }

    private Tensor pairwise(Tensor a, Tensor b, boolean giou) {
        Tensors.requireRows(a, 4, "boxes a");
        Tensors.requireRows(b, 4, "boxes b");
        launcher.require(a, "boxes a");
        launcher.require(b, "boxes b");
        KernelDtype dtype = KernelDtype.of(a, "boxes a");
        Tensor bb = b.to(a.scalar_type()).contiguous();
        Tensor aa = a.contiguous();
        long n = a.size(0), m = b.size(0);
        Tensor out = Tensors.empty(Tensors.optionsLike(a, a.scalar_type()), n, m);
        if (n * m == 0) {
            return out;
        }
        int block = launcher.blockFor(dtype.kernel("dw_pairwise_overlaps"), 0);
        ScalarType st = a.scalar_type();
        try (KernelArgs args = new KernelArgs().tensor("a", aa, st).tensor("b", bb, st).i64(n).i64(m).i32(giou ? 1 : 0)
                .real(a.scalar_type(), BoxOps.EPS).tensor("out", out, st)) {
            launcher.launch(dtype.kernel("dw_pairwise_overlaps"), (n * m + block - 1) / block, 1, block, args);
        }
        return out;
    }
}
