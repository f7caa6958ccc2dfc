package dev.dwjava.kernels;

import java.util.ArrayList;
import java.util.List;

import dev.dwjava.kernels.host.HostLaunch;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch.ScalarType;

/**
 * A launch plan of the shared C++ launch layer ({@code src/main/cuda/launch/dw_plan.h}, the same code the harness
 * runs) for the DW weighting or the kernel part of NMS, read from its text form, and its execution on a {@link KernelLauncher} with libtorch tensors as buffers. The
 * plan decides sizes, views, launch order, grids and arguments; this class only maps buffers to tensors.
 */
final class LaunchPlan {
    /** The plan's buffers, in the order of {@code dw_plan::Buffer}. */
    static final int XY = 0, STRIDES = 1, GT_BOXES = 2, GT_LABELS = 3, CLS = 4, OBJ = 5, DIST = 6, LAYOUT = 7, COUNTS = 8,
            LONGS = 9, REALS = 10, INTS = 11, SORTED_BOXES = 12, SORTED_LABELS = 13, NMS_LONGS = 14, MASK = 15, KEEP = 16,
            NUM_BUFFERS = 17;
    private static final String[] NAMES = {"xy", "strides", "gt boxes", "gt labels", "cls logits", "obj logits", "distances",
        "layout", "counts", "longs", "reals", "ints", "sorted boxes", "sorted labels", "nms longs", "mask", "keep"};

    /** One argument: a view of a buffer ('T'), an int64 ('l'), a real of the batch's type ('r') or a double ('d'). */
    record Arg(char kind, int buffer, long offset, long count, long i, double r) {}

    /**
     * One launch: {@code perThread > 0} means ⌈perThread / block⌉ blocks; {@code fixedBlock > 0} a block size of its
     * own; {@code typed} kernels exist per dtype.
     */
    record Launch(String family, long gridX, long perThread, long gridY, int fixedBlock, boolean typed, List<Arg> args) {}

    /** One image's views: its GTs, its first pair, its pairs n and P_neg entries m. */
    record Image(long gtBegin, long gtCount, long pairBegin, long pairs, long negatives) {}

    long[] layout = new long[0];
    long longs, reals, ints, counts, mask, nmsLongs;
    long pairPoint, pairGt, negIndex, numGood, posWeight, negValue, maxIou, sumWeight, factor;
    final List<Image> images = new ArrayList<>();
    final List<Launch> launches = new ArrayList<>();

    /** The DW weighting's plan for {@code request} (see {@code dw_plan::weighting_from_text}). */
    static LaunchPlan weighting(String request) {
        if (!Kernels.hostAvailable()) {
            throw new KernelException("the launch plans come from the host library of dw-kernels, which is not loaded");
        }
        String text = HostLaunch.dw_host_plan_weighting(request);
        if (text.startsWith("error: ")) {
            throw new KernelException("launch plan: " + text.substring(7));
        }
        return parse(text);
    }

    /** The kernel part of NMS over n grouped boxes (see {@code dw_plan::nms}), with the mask under {@code budget} bytes. */
    static LaunchPlan nms(long n, double threshold, long budget) {
        if (!Kernels.hostAvailable()) {
            throw new KernelException("the launch plans come from the host library of dw-kernels, which is not loaded");
        }
        String text = HostLaunch.dw_host_plan_nms(n + " " + threshold + " " + budget);
        if (text.startsWith("error: ")) {
            throw new KernelException("launch plan: " + text.substring(7));
        }
        return parse(text);
    }

    static LaunchPlan parse(String text) {
        LaunchPlan p = new LaunchPlan();
        for (String line : text.split("\n")) {
            String[] t = line.split(" ");
            switch (t[0]) {
                case "layout" -> {
                    p.layout = new long[t.length - 1];
                    for (int k = 1; k < t.length; k++) {
                        p.layout[k - 1] = Long.parseLong(t[k]);
                    }
                }
                case "sizes" -> {
                    p.longs = Long.parseLong(t[1]);
                    p.reals = Long.parseLong(t[2]);
                    p.ints = Long.parseLong(t[3]);
                    p.counts = Long.parseLong(t[4]);
                }
                case "outputs" -> {
                    long[] v = new long[9];
                    for (int k = 0; k < 9; k++) {
                        v[k] = Long.parseLong(t[k + 1]);
                    }
                    p.pairPoint = v[0];
                    p.pairGt = v[1];
                    p.negIndex = v[2];
                    p.numGood = v[3];
                    p.posWeight = v[4];
                    p.negValue = v[5];
                    p.maxIou = v[6];
                    p.sumWeight = v[7];
                    p.factor = v[8];
                }
                case "nms" -> {
                    p.mask = Long.parseLong(t[1]);
                    p.nmsLongs = Long.parseLong(t[2]);
                }
                case "image" -> p.images.add(new Image(Long.parseLong(t[1]), Long.parseLong(t[2]), Long.parseLong(t[3]),
                        Long.parseLong(t[4]), Long.parseLong(t[5])));
                case "launch" -> {
                    List<Arg> args = new ArrayList<>();
                    for (int k = 7; k < t.length; k++) {
                        String[] a = t[k].split(":");
                        char kind = a[0].charAt(0);
                        args.add(kind == 'T' ? new Arg(kind, Integer.parseInt(a[1]), Long.parseLong(a[2]), Long.parseLong(a[3]), 0, 0)
                                : kind == 'r' || kind == 'd' ? new Arg(kind, -1, 0, 0, 0, Double.parseDouble(a[1]))
                                : new Arg(kind, -1, 0, 0, Long.parseLong(a[1]), 0));
                    }
                    p.launches.add(new Launch(t[1], Long.parseLong(t[2]), Long.parseLong(t[3]), Long.parseLong(t[4]),
                            Integer.parseInt(t[5]), t[6].equals("1"), args));
                }
                default -> {
                    if (!line.isEmpty()) {
                        throw new KernelException("launch plan: unknown line '" + line + "'");
                    }
                }
            }
        }
        return p;
    }

    /** The element type of a buffer: int64 for labels, layout and LONGS, int32 for COUNTS and INTS, else the batch's. */
    static ScalarType elementType(int buffer, ScalarType real) {
        return switch (buffer) {
            case GT_LABELS, LAYOUT, LONGS, SORTED_LABELS, NMS_LONGS, MASK -> ScalarType.Long;
            case COUNTS, INTS -> ScalarType.Int;
            case KEEP -> ScalarType.Byte;
            default -> real;
        };
    }

    /**
     * Runs the plan's launches: buffer b is {@code buffers[b]} (1-D views by element offset), reals of type {@code real};
     * each kernel's block is {@code launcher.blockFor(kernel, requestedBlock)}.
     */
    void run(KernelLauncher launcher, KernelDtype dtype, ScalarType real, Tensor[] buffers, int requestedBlock) {
        for (Launch l : launches) {
            String kernel = l.typed() ? dtype.kernel(l.family()) : l.family();
            int block = l.fixedBlock() > 0 ? l.fixedBlock() : launcher.blockFor(kernel, requestedBlock);
            long grid = l.perThread() > 0 ? (l.perThread() + block - 1) / block : l.gridX();
            try (KernelArgs a = new KernelArgs()) {
                for (Arg arg : l.args()) {
                    switch (arg.kind()) {
                        case 'T' -> {
                            a.tensor(NAMES[arg.buffer()], buffers[arg.buffer()].narrow(0, arg.offset(), arg.count()),
                                    elementType(arg.buffer(), real));
                        }
                        case 'l' -> a.i64(arg.i());
                        case 'r' -> a.real(real, arg.r());
                        case 'd' -> a.f64(arg.r());
                        default -> throw new KernelException("launch plan: argument kind " + arg.kind());
                    }
                }
                launcher.launch(kernel, grid, l.gridY(), block, a);
            }
        }
    }
}
