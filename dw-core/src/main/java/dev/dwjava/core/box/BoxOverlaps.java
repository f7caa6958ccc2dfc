package dev.dwjava.core.box;

import org.bytedeco.pytorch.Tensor;

/**
 * Pairwise IoU and GIoU of two box sets with mmdetection's semantics (see {@link BoxOps}). One interface, several
 * implementations ({@link #LIBTORCH} here, the CUDA kernels in dw-kernels), one shared contract.
 */
public interface BoxOverlaps {
    /** The libtorch implementation, {@link BoxOps#pairwiseIou} and {@link BoxOps#pairwiseGiou}. */
    BoxOverlaps LIBTORCH = new BoxOverlaps() {
        @Override
        public Tensor pairwiseIou(Tensor a, Tensor b) {
            return BoxOps.pairwiseIou(a, b);
        }

        @Override
        public Tensor pairwiseGiou(Tensor a, Tensor b) {
            return BoxOps.pairwiseGiou(a, b);
        }
    };

    /** @return (N, M) IoU of (N, 4) and (M, 4) xyxy boxes */
    Tensor pairwiseIou(Tensor a, Tensor b);

    /** @return (N, M) GIoU, in [-1, 1] */
    Tensor pairwiseGiou(Tensor a, Tensor b);
}
