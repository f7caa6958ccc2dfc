package dev.dwjava.core.point;

import static dev.dwjava.core.tensor.Tensors.s;

import java.util.List;

import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;

/**
 * The points (priors) of all FPN levels, docs/DW_SPEC.md §2: cell (i, j) of a level with stride s sits at
 * {@code (x, y) = (j·s + s/2, i·s + s/2)}; row-major inside a level, levels concatenated in order. Every per-point
 * tensor of the detector has {@link #numPoints()} rows in this order.
 *
 * @param xy      (P, 2) point coordinates (x, y) in input pixels
 * @param strides (P) stride of each point's level
 * @param levels  the levels, in order
 */
public record PointGrid(Tensor xy, Tensor strides, List<FeatureLevel> levels) {

    /** Generates the points of {@code levels} in {@code dtype} on the CPU. */
    public static PointGrid generate(List<FeatureLevel> levels, ScalarType dtype) {
        TensorOptions options = new TensorOptions(dtype);
        TensorVector xys = new TensorVector();
        TensorVector strides = new TensorVector();
        for (FeatureLevel level : levels) {
            int st = level.stride();
            // Same arithmetic as the original (arange·s + s·0.5) so that fp32 points are bit-identical.
            Tensor xs = torch.arange(new Scalar(level.width()), options).mul(s(st)).add(s(st * 0.5));
            Tensor ys = torch.arange(new Scalar(level.height()), options).mul(s(st)).add(s(st * 0.5));
            Tensor gx = xs.unsqueeze(0).expand(level.height(), level.width()).reshape(-1);
            Tensor gy = ys.unsqueeze(1).expand(level.height(), level.width()).reshape(-1);
            xys.push_back(torch.stack(new TensorVector(gx, gy), 1));
            strides.push_back(torch.full(new long[] {level.numPoints()}, new Scalar((double) st), options));
        }
        return new PointGrid(torch.cat(xys, 0), torch.cat(strides, 0), List.copyOf(levels));
    }

    /** The same points on {@code device} (this grid when it is already there). */
    public PointGrid to(org.bytedeco.pytorch.Device device) {
        if (xy.device().str().getString().equals(device.str().getString())) {
            return this;
        }
        return new PointGrid(xy.to(device, xy.scalar_type()), strides.to(device, strides.scalar_type()), levels);
    }

    /** Total number of points P. */
    public long numPoints() {
        return xy.size(0);
    }

    /** (P) x coordinates. */
    public Tensor x() {
        return xy.select(1, 0);
    }

    /** (P) y coordinates. */
    public Tensor y() {
        return xy.select(1, 1);
    }
}
