package dev.dwjava.model.head;

import static dev.dwjava.core.tensor.Tensors.s;

import dev.dwjava.core.tensor.Tensors;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;

/**
 * DW's box refinement (docs/DW_SPEC.md §1.4–1.5): each side of the coarse box is re-read, by bilinear sampling with zero
 * padding, from the coarse box-coordinate map at the position where the coarse box puts that side plus a learned
 * offset. Nothing is detached; gradients reach the coarse distances through both the sampled values and the
 * sampling positions, and the offsets through the positions.
 *
 * <p>libtorch's {@code grid_sampler_2d} (bilinear, zeros, {@code align_corners=false}) computes exactly the
 * original's deformable-conv sampling when pixel positions are normalised with {@code g = (2·pix + 1)/size − 1};
 * that mapping also works for one-pixel-wide maps.
 */
public final class BoxRefinement {
    private static final long BILINEAR = 0, ZEROS_PADDING = 0;

    private BoxRefinement() {}

    /**
     * @param coarse  (B, 4, H, W) coarse distances (l, t, r, b) in input pixels, ≥ 0
     * @param offsets (B, 8, H, W) raw {@code reg_offset} output O0..O7: per side a (row, column) offset in cells
     * @param stride  the level's stride s
     * @return (B, 4, H, W) refined distances, ≥ 0
     */
    public static Tensor refine(Tensor coarse, Tensor offsets, int stride) {
        long b = coarse.size(0), h = coarse.size(2), w = coarse.size(3);
        Tensors.requireShape(coarse, "coarse distances", b, 4, h, w);
        Tensors.requireShape(offsets, "refine offsets", b, 8, h, w);
        Tensor px = torch.arange(new org.bytedeco.pytorch.Scalar(w), coarse.options()).mul(s((double) stride))
                .add(s(stride * 0.5)).view(1, 1, w).expand(b, h, w);                          // (B, H, W)
        Tensor py = torch.arange(new org.bytedeco.pytorch.Scalar(h), coarse.options()).mul(s((double) stride))
                .add(s(stride * 0.5)).view(1, h, 1).expand(b, h, w);
        Tensor l = coarse.select(1, 0), t = coarse.select(1, 1), r = coarse.select(1, 2), bt = coarse.select(1, 3);
        // Absolute coarse box-side coordinates: the values that get sampled (not clipped).
        Tensor sides = torch.stack(new TensorVector(px.sub(l), py.sub(t), px.add(r), py.add(bt)), 1);  // (B, 4, H, W)

        Tensor cells = coarse.div(s((double) stride));                                        // distances in cells
        Tensor col = torch.arange(new org.bytedeco.pytorch.Scalar(w), coarse.options()).view(1, 1, w).expand(b, h, w);
        Tensor row = torch.arange(new org.bytedeco.pytorch.Scalar(h), coarse.options()).view(1, h, 1).expand(b, h, w);
        // Per side (row, column) sampling positions, channel layout of the original's deform offsets
        // [O0, O1 − l~, O2 − t~, O3, O4, O5 + r~, O6 + b~, O7].
        Tensor[] y = {row.add(offsets.select(1, 0)), row.add(offsets.select(1, 2).sub(cells.select(1, 1))),
                      row.add(offsets.select(1, 4)), row.add(offsets.select(1, 6).add(cells.select(1, 3)))};
        Tensor[] x = {col.add(offsets.select(1, 1).sub(cells.select(1, 0))), col.add(offsets.select(1, 3)),
                      col.add(offsets.select(1, 5).add(cells.select(1, 2))), col.add(offsets.select(1, 7))};
        TensorVector grids = new TensorVector();
        for (int side = 0; side < 4; side++) {
            Tensor gx = x[side].mul(s(2.0)).add(s(1.0)).div(s((double) w)).sub(s(1.0));
            Tensor gy = y[side].mul(s(2.0)).add(s(1.0)).div(s((double) h)).sub(s(1.0));
            grids.push_back(torch.stack(new TensorVector(gx, gy), -1));                        // (B, H, W, 2)
        }
        Tensor grid = torch.stack(grids, 1).reshape(b * 4, h, w, 2);
        Tensor sampled = torch.grid_sampler_2d(sides.reshape(b * 4, 1, h, w), grid, BILINEAR, ZEROS_PADDING, false)
                .reshape(b, 4, h, w);
        Tensor l2 = px.sub(sampled.select(1, 0)), t2 = py.sub(sampled.select(1, 1));
        Tensor r2 = sampled.select(1, 2).sub(px), b2 = sampled.select(1, 3).sub(py);
        return torch.stack(new TensorVector(l2, t2, r2, b2), 1).relu();
    }
}
