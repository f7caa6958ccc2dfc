package dev.dwjava.core.dw;

import org.bytedeco.pytorch.Tensor;

/**
 * The DW Gaussian center prior of (point, GT) pairs (docs/DW_SPEC.md §3.2), which depends only on geometry; what
 * {@link TorchDwAssigner} is given. Implemented on libtorch ({@link TorchPairPriors}) and by a kernel in dw-kernels.
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
}
