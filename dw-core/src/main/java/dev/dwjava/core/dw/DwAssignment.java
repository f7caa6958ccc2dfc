package dev.dwjava.core.dw;

import org.bytedeco.pytorch.Tensor;

/**
 * The DW label assignment of one image (docs/DW_SPEC.md §3.1–3.6), computed without gradient. Only the n (point, GT) pairs
 * whose point lies strictly inside the GT box are represented: every other pair has zero positive weight and does
 * not touch the negative weights, so the loss over these pairs equals the loss over all P × G pairs.
 *
 * <p>Naming: P points, G ground-truth boxes, C classes, n inside pairs, m written negative entries.
 *
 * @param pairPoint   int64 (n) point index of each inside pair
 * @param pairGt      int64 (n) GT index of each inside pair, pairs sorted by GT then point
 * @param posWeight   (n) positive weight {@code w_ij} (§3.5), detached
 * @param negIndex    int64 (m) flat index {@code i·C + c} of the (point, class) entries whose P_neg is not 1
 * @param negValue    (m) P_neg of those entries (§3.6); every other entry of the (P, C) map is 1
 * @param negFactor   0-dim {@code Σ(1 − P_neg)} of this image (the per-image part of N_neg, §3.8)
 * @param diagnostics per-GT statistics for logs and equivalence tests
 */
public record DwAssignment(Tensor pairPoint, Tensor pairGt, Tensor posWeight, Tensor negIndex, Tensor negValue,
                           Tensor negFactor, AssignmentDiagnostics diagnostics) {

    /** Number of inside pairs n. */
    public long numPairs() {
        return pairPoint.size(0);
    }
}
