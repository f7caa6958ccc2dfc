package dev.dwjava.core.dw;

import java.util.List;

import org.bytedeco.pytorch.Tensor;

/**
 * The three DW loss terms of a batch (docs/DW_SPEC.md §3.7–3.8), 0-dim tensors that carry gradient.
 *
 * @param clsPos   positive classification term {@code Σ pos_cls / N_pos}
 * @param loc      localization term {@code Σ pos_loc / N_pos}
 * @param clsNeg   negative term {@code Σ neg / N_neg}
 * @param numPos   0-dim N_pos = max(1, mean over ranks of the GT count), detached
 * @param numNeg   0-dim N_neg = max(1, mean over ranks of Σ(1 − P_neg)), detached
 * @param perImage per-image numerators and assignment, in batch order
 */
public record DwLossResult(Tensor clsPos, Tensor loc, Tensor clsNeg, Tensor numPos, Tensor numNeg,
                           List<ImageLoss> perImage) {

    /** The total loss, {@code clsPos + loc + clsNeg} (no further weights). */
    public Tensor total() {
        return clsPos.add(loc).add(clsNeg);
    }

    /**
     * One image's contribution, before the batch normalizers.
     *
     * @param posClsSum  0-dim {@code 0.25·Σ w·BCE(p_cls, 1)}
     * @param posLocSum  0-dim {@code 0.25·Σ w·BCE(p_loc, 1)}
     * @param negSum     0-dim {@code Σ P_neg·S²·BCE(S, 0)}
     * @param assignment the assignment that produced the weights
     */
    public record ImageLoss(Tensor posClsSum, Tensor posLocSum, Tensor negSum, DwAssignment assignment) {}
}
