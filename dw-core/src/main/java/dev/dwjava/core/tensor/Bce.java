package dev.dwjava.core.tensor;

import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptional;
import org.bytedeco.pytorch.global.torch;

/**
 * Binary cross-entropy on probabilities with PyTorch's exact semantics, elementwise (no reduction):
 * {@code -(y·max(ln p, -100) + (1 - y)·max(ln(1 - p), -100))}. The backward is libtorch's own,
 * {@code (p - y) / max(p(1 - p), 1e-12f)}, which the original DW training used (see dw_reference/README.md).
 */
public final class Bce {
    /** libtorch's reduction code for "none". */
    private static final long REDUCTION_NONE = 0;

    private Bce() {}

    /**
     * @param p      probabilities in [0, 1]
     * @param target targets in [0, 1], same shape as {@code p}
     * @return elementwise loss, same shape as {@code p}
     */
    public static Tensor loss(Tensor p, Tensor target) {
        return torch.binary_cross_entropy(p, target, new TensorOptional(), REDUCTION_NONE);
    }

    /** Elementwise {@code BCE(p, 1) = -max(ln p, -100)}. */
    public static Tensor positive(Tensor p) {
        return loss(p, torch.ones_like(p));
    }

    /** Elementwise {@code BCE(p, 0) = -max(ln(1 - p), -100)}. */
    public static Tensor negative(Tensor p) {
        return loss(p, torch.zeros_like(p));
    }
}
