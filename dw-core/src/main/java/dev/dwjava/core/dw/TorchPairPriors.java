package dev.dwjava.core.dw;

import static dev.dwjava.core.tensor.Tensors.col;
import static dev.dwjava.core.tensor.Tensors.s;

import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

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

    @Override
    public Tensor centerness(Tensor pairXy, Tensor pairGtBox) {
        Tensor x = col(pairXy, 0), y = col(pairXy, 1);
        Tensor l = x.sub(col(pairGtBox, 0)), t = y.sub(col(pairGtBox, 1));
        Tensor r = col(pairGtBox, 2).sub(x), b = col(pairGtBox, 3).sub(y);
        Tensor lr = torch.minimum(l, r).div(torch.maximum(l, r));
        Tensor tb = torch.minimum(t, b).div(torch.maximum(t, b));
        return lr.mul(tb).sqrt();
    }
}
