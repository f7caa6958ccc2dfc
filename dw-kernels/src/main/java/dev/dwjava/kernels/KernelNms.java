package dev.dwjava.kernels;

import dev.dwjava.core.box.Nms;
import dev.dwjava.core.tensor.Tensors;
import org.bytedeco.pytorch.BoolOptional;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;

/**
 * {@link Nms} as a bitmask NMS: stable sorts (libtorch) that group the boxes by class in descending score, the
 * {@code dw_nms_class_end} kernel for the end of each box's class run, the {@code dw_nms_mask} kernel for the 64-bit
 * suppression words (tiles of different classes cost nothing) and {@code dw_nms_gather_keep}, which walks the boxes 64
 * at a time on the device. The mask is built and consumed in strips of rows, so that it never takes more than
 * {@link #MASK_BUDGET_BYTES} (one strip when the whole mask fits); it never leaves the device. The only read to the
 * host is the number of kept boxes (the result's size): the keep flags are scattered back to score order on the
 * device and the kept indices selected from it. Decisions use the same double-precision test as
 * {@link dev.dwjava.core.box.CpuNms}, so both keep the same boxes.
 */
public final class KernelNms implements Nms {
    /** The gather kernel keeps its removed-bitset in 16 KiB of shared memory: 2048 words of 64 boxes. */
    public static final long MAX_BOXES = 2048L * 64;
    /**
     * The most device memory the suppression mask takes: rows × ⌈n / 64⌉ × 8 bytes per strip. At 131,072 boxes the
     * whole mask would be 2 GiB; it is computed in 32 strips of 4,096 rows instead.
     */
    public static final long MASK_BUDGET_BYTES = 64L << 20;
    private static final int TILE = 64;

    private final KernelLauncher launcher;
    private final int gatherBlock;
    private final long maskBudget;

    public KernelNms(KernelLauncher launcher) {
        this(launcher, 0);
    }

    /**
     * @param gatherBlock threads of the single gather block (a power of two, at most 1024; 0 for the launcher's
     *                    default, capped by the kernel's limit); above the kernel's limit a launch is refused
     */
    public KernelNms(KernelLauncher launcher, int gatherBlock) {
        this(launcher, gatherBlock, MASK_BUDGET_BYTES);
    }

    /** @param maskBudget the most bytes of one mask strip (at least one row tile is always used); for tests */
    KernelNms(KernelLauncher launcher, int gatherBlock, long maskBudget) {
        this.launcher = launcher;
        this.gatherBlock = KernelLauncher.validRequest(gatherBlock);
        this.maskBudget = maskBudget;
    }

    /** Row tiles (of 64 boxes) per mask strip for n boxes under the budget: at least 1 (the launch layer's rule). */
    static long tilesPerStrip(long n, long maskBudget) {
        long words = (n + TILE - 1) / TILE;
        return Math.max(1, Math.min(words, maskBudget / (TILE * words * Long.BYTES)));
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
        ScalarType st = boxes.scalar_type();
        // Group by class, by descending score inside a class (ties: input order): two stable sorts.
        Tensor byScore = scores.sort(new BoolOptional(true), 0, true).get1();
        Tensor labelsByScore = labels.to(ScalarType.Long).index_select(0, byScore);
        Tensor grouping = labelsByScore.sort(new BoolOptional(true), 0, false).get1();  // positions in byScore
        Tensor order = byScore.index_select(0, grouping);
        Tensor sortedBoxes = boxes.index_select(0, order).contiguous();
        Tensor sortedLabels = labelsByScore.index_select(0, grouping).contiguous();
        // The kernel part comes from the launch layer (launch/dw_plan.h, shared with the harness): class-run ends,
        // then per strip of rows the mask and the gather.
        LaunchPlan plan = LaunchPlan.nms(n, iouThreshold, maskBudget);
        Tensor[] buffers = new Tensor[LaunchPlan.NUM_BUFFERS];
        buffers[LaunchPlan.SORTED_BOXES] = sortedBoxes.reshape(-1);
        buffers[LaunchPlan.SORTED_LABELS] = sortedLabels;
        buffers[LaunchPlan.NMS_LONGS] = torch.zeros(new long[] {plan.nmsLongs}, Tensors.optionsLike(boxes, ScalarType.Long));
        // int64 storage for the uint64 words; only tiles at or right of the diagonal are written, and only they are read.
        buffers[LaunchPlan.MASK] = Tensors.empty(Tensors.optionsLike(boxes, ScalarType.Long), plan.mask);
        Tensor keep = torch.zeros(new long[] {n}, Tensors.optionsLike(boxes, ScalarType.Byte));
        buffers[LaunchPlan.KEEP] = keep;
        plan.run(launcher, dtype, st, buffers, gatherBlock);
        // Survivors by descending score, ties by input index (the order CpuNms returns): the flags back in score order.
        Tensor keptByScore = torch.zeros(new long[] {n}, Tensors.optionsLike(boxes, ScalarType.Byte)).index_copy_(0, grouping, keep);
        return byScore.masked_select(keptByScore.to(ScalarType.Bool));
    }
}
