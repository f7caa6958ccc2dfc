package dev.dwjava.core.dw;

import org.bytedeco.pytorch.Tensor;

/**
 * Quantities of (point, GT) pairs that depend only on geometry: the DW Gaussian center prior (docs/DW_SPEC.md §3.2) and the
 * FCOS centerness target. Implemented on libtorch ({@link TorchPairPriors}) and by the CUDA kernels in dw-kernels.
 */
public interface PairPriors {
    /**
     * {@code exp(−dx²/2σ²)·exp(−dy²/2σ²)}, d the point's offset from the box centre in units of its stride, 2σ² =
     * {@link DwConstants#TWO_SIGMA_SQUARED}.
     *
     * @param pairXy     (n, 2) point of each pair
     * @param pairStride (n) stride of the point's level
     * @param pairGtBox  (n, 4) GT box of each pair
     * @return (n)
     */
    Tensor centerPrior(Tensor pairXy, Tensor pairStride, Tensor pairGtBox);

    /**
     * FCOS centerness {@code sqrt(min(l, r)/max(l, r) · min(t, b)/max(t, b))} of the point's distances to the box
     * sides; meaningful for points inside the box.
     *
     * @return (n)
     */
    Tensor centerness(Tensor pairXy, Tensor pairGtBox);
}
