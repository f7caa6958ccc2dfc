package dev.dwjava.core.box;

import dev.dwjava.core.tensor.Tensors;
import org.bytedeco.pytorch.Tensor;

/**
 * An immutable set of N axis-aligned boxes. Each row of {@link #xyxy()} is {@code (x1, y1, x2, y2)} in pixels of
 * {@link #frame()}; other layouts (COCO's xywh) exist only at I/O edges through {@link #fromXywh} and
 * {@link #toXywh}. Operations return new objects.
 */
public final class Boxes {
    private final Tensor xyxy;
    private final ImageFrame frame;

    /**
     * @param xyxy  float tensor (N, 4), rows (x1, y1, x2, y2)
     * @param frame the pixel grid of the coordinates
     */
    public Boxes(Tensor xyxy, ImageFrame frame) {
        Tensors.requireRows(xyxy, 4, "boxes");
        if (!Tensors.isFloating(xyxy)) {
            throw new IllegalArgumentException("boxes must be float32 or float64, found " + xyxy.scalar_type());
        }
        this.xyxy = xyxy;
        this.frame = java.util.Objects.requireNonNull(frame, "frame");
    }

    /** Boxes from COCO's {@code (x, y, w, h)} rows. */
    public static Boxes fromXywh(Tensor xywh, ImageFrame frame) {
        Tensors.requireRows(xywh, 4, "xywh boxes");
        return new Boxes(BoxOps.xywhToXyxy(xywh), frame);
    }

    /** (N, 4) rows (x1, y1, x2, y2). */
    public Tensor xyxy() {
        return xyxy;
    }

    public ImageFrame frame() {
        return frame;
    }

    /** Number of boxes. */
    public long size() {
        return xyxy.size(0);
    }

    /** (N) areas, {@code (x2 - x1)(y2 - y1)}. */
    public Tensor area() {
        return BoxOps.area(xyxy);
    }

    /** (N, M) IoU with {@code other}, which must be in the same frame. */
    public Tensor iou(Boxes other) {
        return BoxOps.pairwiseIou(xyxy, sameFrame(other).xyxy);
    }

    /** (N, M) generalized IoU with {@code other}, which must be in the same frame. */
    public Tensor giou(Boxes other) {
        return BoxOps.pairwiseGiou(xyxy, sameFrame(other).xyxy);
    }

    /** Boxes clipped to {@code [0, width] x [0, height]}. */
    public Boxes clip(double height, double width) {
        return new Boxes(BoxOps.clip(xyxy, height, width), frame);
    }

    /** Boxes mirrored in an image of the given width. */
    public Boxes flipHorizontal(double width) {
        return new Boxes(BoxOps.flipHorizontal(xyxy, width), frame);
    }

    /** Boxes with x scaled by {@code sx} and y by {@code sy}, now in {@code target}'s frame. */
    public Boxes scale(double sx, double sy, ImageFrame target) {
        return new Boxes(BoxOps.scale(xyxy, sx, sy), target);
    }

    /** (N, 4) rows (x, y, w, h). */
    public Tensor toXywh() {
        return BoxOps.xyxyToXywh(xyxy);
    }

    private Boxes sameFrame(Boxes other) {
        if (other.frame != frame) {
            throw new IllegalArgumentException("boxes are in different frames: " + frame + " vs " + other.frame);
        }
        return other;
    }

    @Override
    public String toString() {
        return "Boxes[" + size() + ", " + frame + "]";
    }
}
