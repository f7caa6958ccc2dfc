package dev.dwjava.kernels;

import dev.dwjava.core.dw.DwConstants;
import dev.dwjava.core.dw.PairPriors;
import dev.dwjava.core.tensor.Tensors;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;

/**
 * {@link PairPriors} with the {@code dw_pair_priors} kernel, which also computes the FCOS centerness of each pair in the
 * same pass ({@link #both}; the contract cases check it, DW itself does not use it).
 */
public final class KernelPairPriors implements PairPriors {
    private final KernelLauncher launcher;

    public KernelPairPriors(KernelLauncher launcher) {
        this.launcher = launcher;
    }

    @Override
    public Tensor centerPrior(Tensor pairXy, Tensor pairStride, Tensor pairGtBox) {
        return both(pairXy, pairStride, pairGtBox)[0];
    }

    /** @return {center prior (n), centerness (n)} */
    public Tensor[] both(Tensor pairXy, Tensor pairStride, Tensor pairGtBox) {
        long n = pairXy.size(0);
        Tensors.requireShape(pairXy, "pairXy", n, 2);
        Tensors.requireShape(pairStride, "pairStride", n);
        Tensors.requireShape(pairGtBox, "pairGtBox", n, 4);
        launcher.require(pairXy, "pairXy");
        KernelDtype dtype = KernelDtype.of(pairXy, "pairXy");
        Tensor xy = pairXy.contiguous();
        Tensor stride = pairStride.to(pairXy.scalar_type()).contiguous();
        Tensor box = pairGtBox.to(pairXy.scalar_type()).contiguous();
        Tensor prior = Tensors.empty(Tensors.optionsLike(pairXy, pairXy.scalar_type()), n);
        Tensor ctr = torch.empty_like(prior);
        if (n > 0) {
            int block = launcher.blockFor(dtype.kernel("dw_pair_priors"), 0);
            ScalarType st = pairXy.scalar_type();
            try (KernelArgs args = new KernelArgs().tensor("pairXy", xy, st).tensor("pairStride", stride, st).tensor("pairGtBox", box, st)
                    .i64(n).real(pairXy.scalar_type(), DwConstants.TWO_SIGMA_SQUARED).tensor("prior", prior, st).tensor("centerness", ctr, st)) {
                launcher.launch(dtype.kernel("dw_pair_priors"), (n + block - 1) / block, 1, block, args);
            }
        }
        return new Tensor[] {prior, ctr};
    }
}
