package dev.dwjava.core.box;

import static dev.dwjava.core.tensor.Tensors.clamp;
import static dev.dwjava.core.tensor.Tensors.col;
import static dev.dwjava.core.tensor.Tensors.s;

import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/**
 * Box arithmetic on raw {@code (N, 4)} tensors whose rows are {@code (x1, y1, x2, y2)} in pixels.
 *
 * <p>Semantics follow mmdetection's {@code bbox_overlaps} (docs/DW_SPEC.md §3.3): areas are {@code (x2 - x1)(y2 - y1)}
 * without +1, the union is clamped below by {@code eps} (1e-6 by default) and so is the enclosing area of GIoU.
 * All functions are differentiable through libtorch autograd and keep the dtype and device of their inputs.
 */
public final class BoxOps {
    /** The eps of mmdetection's IoU and GIoU (docs/DW_SPEC.md §3.3). */
    public static final double EPS = 1e-6;

    private BoxOps() {}

    /** @return area of each box, shape (N) */
    public static Tensor area(Tensor boxes) {
        return col(boxes, 2).sub(col(boxes, 0)).mul(col(boxes, 3).sub(col(boxes, 1)));
    }

    /**
     * IoU of every box of {@code a} with every box of {@code b}.
     *
     * @param a (N, 4)
     * @param b (M, 4)
     * @return (N, M)
     */
    public static Tensor pairwiseIou(Tensor a, Tensor b) {
        return pairwise(a, b, false);
    }

    /**
     * Generalized IoU of every box of {@code a} with every box of {@code b}.
     *
     * @return (N, M), values in [-1, 1]
     */
    public static Tensor pairwiseGiou(Tensor a, Tensor b) {
        return pairwise(a, b, true);
    }

    /** IoU of row i of {@code a} with row i of {@code b}; shapes (N, 4) → (N). */
    public static Tensor alignedIou(Tensor a, Tensor b) {
        return aligned(a, b, false, EPS);
    }

    /** GIoU of row i of {@code a} with row i of {@code b}; shapes (N, 4) → (N). */
    public static Tensor alignedGiou(Tensor a, Tensor b) {
        return aligned(a, b, true, EPS);
    }

    /**
     * mmdetection's aligned {@code bbox_overlaps(a, b, mode, is_aligned=True, eps)}.
     *
     * @param giou whether to return GIoU instead of IoU
     * @return (N)
     */
    public static Tensor aligned(Tensor a, Tensor b, boolean giou, double eps) {
        return overlaps(a, b, giou, eps);
    }

    private static Tensor pairwise(Tensor a, Tensor b, boolean giou) {
        // Broadcast (N, 1, 4) against (1, M, 4); the same elementwise formula as the aligned case.
        return overlaps(a.unsqueeze(1), b.unsqueeze(0), giou, EPS);
    }

    /** Shared formula over the last dimension of two broadcastable (..., 4) tensors. */
    private static Tensor overlaps(Tensor a, Tensor b, boolean giou, double eps) {
        Tensor ax1 = a.select(-1, 0), ay1 = a.select(-1, 1), ax2 = a.select(-1, 2), ay2 = a.select(-1, 3);
        Tensor bx1 = b.select(-1, 0), by1 = b.select(-1, 1), bx2 = b.select(-1, 2), by2 = b.select(-1, 3);
        Tensor areaA = ax2.sub(ax1).mul(ay2.sub(ay1));
        Tensor areaB = bx2.sub(bx1).mul(by2.sub(by1));
        Tensor w = torch.minimum(ax2, bx2).sub(torch.maximum(ax1, bx1)).clamp_min(s(0));
        Tensor h = torch.minimum(ay2, by2).sub(torch.maximum(ay1, by1)).clamp_min(s(0));
        Tensor overlap = w.mul(h);
        Tensor union = areaA.add(areaB).sub(overlap).clamp_min(s(eps));
        Tensor iou = overlap.div(union);
        if (!giou) {
            return iou;
        }
        Tensor ew = torch.maximum(ax2, bx2).sub(torch.minimum(ax1, bx1)).clamp_min(s(0));
        Tensor eh = torch.maximum(ay2, by2).sub(torch.minimum(ay1, by1)).clamp_min(s(0));
        Tensor enclose = ew.mul(eh).clamp_min(s(eps));
        return iou.sub(enclose.sub(union).div(enclose));
    }

    /**
     * Clips boxes to the image {@code [0, width] x [0, height]}.
     *
     * @return new (N, 4)
     */
    public static Tensor clip(Tensor boxes, double height, double width) {
        return stack(clamp(col(boxes, 0), 0, width), clamp(col(boxes, 1), 0, height),
                clamp(col(boxes, 2), 0, width), clamp(col(boxes, 3), 0, height));
    }

    /** Horizontal flip in an image of the given width: {@code x1' = W - x2, x2' = W - x1} (no -1, docs/DW_SPEC.md §5.1). */
    public static Tensor flipHorizontal(Tensor boxes, double width) {
        Tensor x1 = col(boxes, 2).neg().add(s(width));
        Tensor x2 = col(boxes, 0).neg().add(s(width));
        return stack(x1, col(boxes, 1), x2, col(boxes, 3));
    }

    /** Multiplies x by {@code sx} and y by {@code sy}. */
    public static Tensor scale(Tensor boxes, double sx, double sy) {
        return stack(col(boxes, 0).mul(s(sx)), col(boxes, 1).mul(s(sy)), col(boxes, 2).mul(s(sx)), col(boxes, 3).mul(s(sy)));
    }

    /** (x1, y1, x2, y2) → (x, y, w, h) as COCO writes boxes. */
    public static Tensor xyxyToXywh(Tensor boxes) {
        return stack(col(boxes, 0), col(boxes, 1), col(boxes, 2).sub(col(boxes, 0)), col(boxes, 3).sub(col(boxes, 1)));
    }

    /** (x, y, w, h) → (x1, y1, x2, y2), as mmdetection parses COCO annotations ({@code x2 = x + w}). */
    public static Tensor xywhToXyxy(Tensor boxes) {
        return stack(col(boxes, 0), col(boxes, 1), col(boxes, 0).add(col(boxes, 2)), col(boxes, 1).add(col(boxes, 3)));
    }

    static Tensor stack(Tensor c0, Tensor c1, Tensor c2, Tensor c3) {
        return torch.stack(new org.bytedeco.pytorch.TensorVector(c0, c1, c2, c3), 1);
    }
}
