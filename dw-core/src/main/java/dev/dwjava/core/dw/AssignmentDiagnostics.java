package dev.dwjava.core.dw;

import org.bytedeco.pytorch.Tensor;

/**
 * Per-GT statistics of one image's assignment (all shape (G)).
 *
 * @param insideCount     int64 number of points strictly inside each GT
 * @param maxIou          max IoU of the GT's inside predictions; NaN for a GT without inside points
 * @param numIouAtLeastHalf int64 inside points with IoU ≥ 0.5
 * @param sumPosWeight    Σ_i w_ij, in [1, e²] for a GT with candidates, 0 without
 */
public record AssignmentDiagnostics(Tensor insideCount, Tensor maxIou, Tensor numIouAtLeastHalf, Tensor sumPosWeight) {}
