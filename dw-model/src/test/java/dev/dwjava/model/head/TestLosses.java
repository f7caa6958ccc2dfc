package dev.dwjava.model.head;

import java.util.List;

import dev.dwjava.core.tensor.Tensors;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/** Losses for gradient comparisons: fixed, and reaching every output of every level. */
public final class TestLosses {
    private TestLosses() {}

    /** Σ over levels of each output times fixed random weights (from {@code seed}); distances scaled by 0.01. */
    public static Tensor randomlyWeighted(List<LevelOutput> levels, long seed) {
        torch.manual_seed(seed);
        Tensor loss = null;
        for (LevelOutput o : levels) {
            Tensor s = o.clsLogits().mul(torch.randn(o.clsLogits().shape())).sum()
                    .add(o.distances().mul(torch.randn(o.distances().shape())).sum().mul(Tensors.s(0.01)))
                    .add(o.objLogits().mul(torch.randn(o.objLogits().shape())).sum());
            loss = loss == null ? s : loss.add(s);
        }
        return loss;
    }
}
