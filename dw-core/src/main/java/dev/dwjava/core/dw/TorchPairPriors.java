package dev.dwjava.core.dw;

import static dev.dwjava.core.tensor.Tensors.col;
import static dev.dwjava.core.tensor.Tensors.s;

import org.bytedeco.pytorch.Tensor;

/** {@link PairPriors} on libtorch tensors, device-agnostic. */
public final class TorchPairPriors implements PairPriors {

    @Override
    public Tensor centerPrior(Tensor pairXy, Tensor pairStride, Tensor pairGtBox) {
        Tensor cx = col(pairGtBox, 0).add(col(pairGtBox, 2)).div(s(2));
        Tensor cy = col(pairGtBox, 1).add(col(pairGtBox, 3)).div(s(2));
        Tensor dx = col(pairXy, 0).sub(cx).div(pairStride).pow(s(2));
        Tensor dy = col(pairXy, 1).sub(cy).div(pairStride).pow(s(2));
        double twoSigmaSq = DwConstants.TWO_SIGMA_SQUARED;
        return dx.neg().div(s(twoSigmaSq)).exp().mul(dy.neg().div(s(twoSigmaSq)).exp());
    }
}
