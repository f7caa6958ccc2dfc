package dev.dwjava.core.box;

import static dev.dwjava.core.tensor.Tensors.col;

import org.bytedeco.pytorch.Tensor;

/**
 * Point-to-side distances {@code (l, t, r, b)} ↔ boxes {@code (x1, y1, x2, y2)}, as FCOS and DW use them.
 * The pair is inverse: {@code decode(p, encode(p, boxes)) == boxes} up to rounding of {@code p - (p - x1)}.
 */
public final class DistanceCoder {
    private DistanceCoder() {}

    /**
     * @param points (N, 2) rows (x, y)
     * @param boxes  (N, 4) boxes
     * @return (N, 4) distances {@code (x - x1, y - y1, x2 - x, y2 - y)}; negative when the point is outside
     */
    public static Tensor encode(Tensor points, Tensor boxes) {
        Tensor x = col(points, 0), y = col(points, 1);
        return BoxOps.stack(x.sub(col(boxes, 0)), y.sub(col(boxes, 1)), col(boxes, 2).sub(x), col(boxes, 3).sub(y));
    }

    /**
     * @param points    (N, 2) rows (x, y)
     * @param distances (N, 4) rows (l, t, r, b)
     * @return (N, 4) boxes {@code (x - l, y - t, x + r, y + b)}, not clipped
     */
    public static Tensor decode(Tensor points, Tensor distances) {
        Tensor x = col(points, 0), y = col(points, 1);
        return BoxOps.stack(x.sub(col(distances, 0)), y.sub(col(distances, 1)),
                x.add(col(distances, 2)), y.add(col(distances, 3)));
    }
}
