package dev.dwjava.train.dist;

import java.util.List;

import dev.dwjava.core.dw.RankAverager;
import dev.dwjava.core.tensor.Tensors;
import org.bytedeco.pytorch.Tensor;

/** The DW loss normalisers averaged over ranks with an all-reduce (docs/DW_SPEC.md §3.8's {@code reduce_mean}). */
public final class RankMean implements RankAverager {
    private final Collectives collectives;

    public RankMean(Collectives collectives) {
        this.collectives = collectives;
    }

    @Override
    public Tensor mean(Tensor value) {
        if (collectives.worldSize() == 1) {
            return value;
        }
        Tensor t = value.detach().clone().reshape(1);
        collectives.allreduceSum(List.of(t));
        return t.div(Tensors.s((double) collectives.worldSize())).reshape(new long[0]);
    }
}
