package dev.dwjava.kernels;

import dev.dwjava.core.box.Nms;
import dev.dwjava.core.tensor.Tensors;
import org.bytedeco.pytorch.BoolOptional;
import org.bytedeco.pytorch.LongOptional;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;

/**
 * {@link Nms} as a bitmask NMS: stable sorts (libtorch) that group the boxes by class in descending score, the
 * {@code dw_nms_mask} kernel for the 64-bit suppression words (tiles of different classes cost nothing), and
 * {@code dw_nms_gather_keep}, which walks the boxes 64 at a time on the device. The mask never
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
        this(launcher, 0);
    }

    /**
     * @param gatherBlock threads of the single gather block (a power of two, at most 1024; 0 for the launcher's
     *                    default, capped by the kernel's limit); above the kernel's limit a launch is refused
     */
    public KernelNms(KernelLauncher launcher, int gatherBlock) {
        this.launcher = launcher;
        this.gatherBlock = KernelLauncher.validRequest(gatherBlock);
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
        // Group by class, by descending score inside a class (ties: input order): two stable sorts.
        Tensor byScore = scores.sort(new BoolOptional(true), 0, true).get1();
        Tensor labelsByScore = labels.to(ScalarType.Long).index_select(0, byScore);
        Tensor order = byScore.index_select(0, labelsByScore.sort(new BoolOptional(true), 0, false).get1());
        Tensor sortedBoxes = boxes.index_select(0, order).contiguous();
        Tensor sortedLabels = labels.to(ScalarType.Long).index_select(0, order).contiguous();
        // End (exclusive) of each box's class run, so the gather pass touches only its own class's words.
        Tensor runLengths = torch.unique_consecutive(sortedLabels, false, true, new LongOptional()).get2();
        Tensor classEnd = torch.repeat_interleave(runLengths.cumsum(0), runLengths).contiguous();
        long words = (n + TILE - 1) / TILE;
        // int64 storage for the uint64 words; only tiles at or right of the diagonal are written, and only they are read.
        Tensor mask = Tensors.empty(Tensors.optionsLike(boxes, ScalarType.Long), n * words);
        Tensor keep = torch.zeros(new long[] {n}, Tensors.optionsLike(boxes, ScalarType.Byte));
        try (KernelArgs args = new KernelArgs().tensor("boxes", sortedBoxes, boxes.scalar_type()).tensor("labels", sortedLabels, ScalarType.Long).i64(n)
                .f64(iouThreshold).tensor("mask", mask, ScalarType.Long)) {
            launcher.launch(dtype.kernel("dw_nms_mask"), words, words, TILE, args);
        }
        try (KernelArgs args = new KernelArgs().tensor("mask", mask, ScalarType.Long).tensor("class end", classEnd, ScalarType.Long).i64(n)
                .tensor("keep", keep, ScalarType.Byte)) {
            launcher.launch("dw_nms_gather_keep", 1, 1, launcher.blockFor("dw_nms_gather_keep", gatherBlock), args);
        }
        // Survivors by descending score, ties by input index (the order CpuNms returns).
        Tensor kept = order.index_select(0, keep.nonzero().squeeze(1)).sort(new BoolOptional(true), 0, false).get0();
        return kept.index_select(0, scores.index_select(0, kept).sort(new BoolOptional(true), 0, true).get1());
    }
}
