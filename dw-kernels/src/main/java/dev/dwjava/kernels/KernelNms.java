package dev.dwjava.kernels;

import dev.dwjava.core.box.Nms;
import dev.dwjava.core.tensor.Tensors;
import org.bytedeco.pytorch.BoolOptional;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;

/**
 * {@link Nms} as a bitmask NMS: a stable descending sort (libtorch), the {@code dw_nms_mask} kernel for the 64-bit
 * suppression words, and {@code dw_nms_gather_keep}, which walks the boxes in score order on the device. The mask never
 * leaves the device; only the kept indices are gathered. Decisions use the same double-precision test as
 * {@link dev.dwjava.core.box.CpuNms}, so both keep the same boxes.
 */
public final class KernelNms implements Nms {
    /** The gather kernel keeps its removed-bitset in 16 KiB of shared memory. */
    public static final long MAX_BOXES = 2048L * 64;
    private static final int TILE = 64;

    private final KernelLauncher launcher;
    private final int gatherBlock;

    public KernelNms(KernelLauncher launcher) {
        this(launcher, launcher.defaultBlock());
    }

    /** @param gatherBlock threads of the single gather block */
    public KernelNms(KernelLauncher launcher, int gatherBlock) {
        this.launcher = launcher;
        this.gatherBlock = gatherBlock;
    }

    @Override
    public Tensor nms(Tensor boxes, Tensor scores, double iouThreshold) {
        return batchedNms(boxes, scores, torch.zeros(new long[] {boxes.size(0)}, Tensors.optionsLike(scores, ScalarType.Long)),
                iouThreshold);
    }

    @Override
    public Tensor batchedNms(Tensor boxes, Tensor scores, Tensor labels, double iouThreshold) {
        Tensors.requireRows(boxes, 4, "boxes");
        long n = boxes.size(0);
        Tensors.requireShape(scores, "scores", n);
        Tensors.requireShape(labels, "labels", n);
        launcher.require(boxes, "boxes");
        KernelDtype dtype = KernelDtype.of(boxes, "boxes");
        if (n == 0) {
            return torch.zeros(new long[] {0}, Tensors.optionsLike(boxes, ScalarType.Long));
        }
        if (n > MAX_BOXES) {
            throw new IllegalArgumentException("kernel NMS takes at most " + MAX_BOXES + " boxes, found " + n
                    + "; reduce the candidates first (e.g. nms_pre)");
        }
        Tensor order = scores.sort(new BoolOptional(true), 0, true).get1();
        Tensor sortedBoxes = boxes.index_select(0, order).contiguous();
        Tensor sortedLabels = labels.to(ScalarType.Long).index_select(0, order).contiguous();
        long words = (n + TILE - 1) / TILE;
        // int64 storage for the uint64 words; only tiles at or right of the diagonal are written, and only they are read.
        Tensor mask = Tensors.empty(Tensors.optionsLike(boxes, ScalarType.Long), n * words);
        Tensor keep = torch.zeros(new long[] {n}, Tensors.optionsLike(boxes, ScalarType.Byte));
        try (KernelArgs args = new KernelArgs().tensor("boxes", sortedBoxes).tensor("labels", sortedLabels).i64(n)
                .f64(iouThreshold).tensor("mask", mask)) {
            launcher.launch(dtype.kernel("dw_nms_mask"), words, words, TILE, args);
        }
        try (KernelArgs args = new KernelArgs().tensor("mask", mask).i64(n).tensor("keep", keep)) {
            launcher.launch("dw_nms_gather_keep", 1, 1, gatherBlock, args);
        }
        return order.index_select(0, keep.nonzero().squeeze(1));
    }

}
