package dev.dwjava.kernels;

import java.util.List;
import java.util.Optional;

import dev.dwjava.core.box.CpuNms;
import dev.dwjava.core.box.Nms;
import dev.dwjava.core.dw.DwAssigner;
import dev.dwjava.core.dw.DwAssignment;
import dev.dwjava.core.dw.GroundTruth;
import dev.dwjava.core.dw.ImagePredictions;
import dev.dwjava.core.dw.TorchDwAssigner;
import dev.dwjava.core.point.PointGrid;
import dev.dwjava.core.runtime.ComputeDevice;
import org.bytedeco.pytorch.Tensor;

/**
 * The implementations of dw-core's hot-path interfaces that a run uses, chosen once from its device and passed to the
 * loss ({@link #assigner()}) and to post-processing ({@link #nms()}). On the CPU, or on a GPU when the jar carries no
 * fatbin, they are the libtorch / CPU ones and no CUDA class is touched; on a GPU with the fatbin, the kernels.
 */
public final class Ops {
    private final String name;
    private final DwAssigner assigner;
    private final Nms nms;

    private Ops(String name, DwAssigner assigner, Nms nms) {
        this.name = name;
        this.assigner = assigner;
        this.nms = nms;
    }

    /** {@link TorchDwAssigner} and {@link CpuNms}. */
    public static Ops libtorch() {
        return new Ops("libtorch", new TorchDwAssigner(), new CpuNms());
    }

    /** The kernels on a CUDA device whose jar carries them ({@link Kernels#cuda()}), {@link #libtorch()} otherwise. */
    public static Ops forDevice(ComputeDevice device) {
        if (device.cuda()) {
            Optional<KernelLauncher> cuda = Kernels.cuda(Math.max(device.index(), 0));
            if (cuda.isPresent()) {
                return withKernels(cuda.get());
            }
        }
        return libtorch();
    }

    /**
     * {@link KernelDwAssigner} and {@link KernelNms} on {@code launcher} for the tensors it accepts; other tensors, and
     * NMS over more than {@link KernelNms#MAX_BOXES} boxes, take the libtorch / CPU implementations.
     */
    public static Ops withKernels(KernelLauncher launcher) {
        DwAssigner kernelAssigner = new KernelDwAssigner(launcher), libtorch = new TorchDwAssigner();
        DwAssigner assigner = new DwAssigner() {
            @Override
            public DwAssignment assign(PointGrid points, ImagePredictions predictions, GroundTruth gt) {
                return (launcher.accepts(predictions.distances()) ? kernelAssigner : libtorch).assign(points, predictions, gt);
            }

            @Override
            public List<DwAssignment> assignBatch(PointGrid points, List<ImagePredictions> predictions, List<GroundTruth> gts) {
                boolean kernels = predictions.stream().allMatch(p -> launcher.accepts(p.distances()));
                return (kernels ? kernelAssigner : libtorch).assignBatch(points, predictions, gts);
            }
        };
        Nms kernelNms = new KernelNms(launcher), cpu = new CpuNms();
        Nms nms = new Nms() {
            private Nms pick(Tensor boxes) {
                return launcher.accepts(boxes) && boxes.size(0) <= KernelNms.MAX_BOXES ? kernelNms : cpu;
            }

            @Override
            public Tensor nms(Tensor boxes, Tensor scores, double iouThreshold) {
                return pick(boxes).nms(boxes, scores, iouThreshold);
            }

            @Override
            public Tensor batchedNms(Tensor boxes, Tensor scores, Tensor labels, double iouThreshold) {
                return pick(boxes).batchedNms(boxes, scores, labels, iouThreshold);
            }
        };
        return new Ops(launcher.name() + " kernels", assigner, nms);
    }

    /** The DW assignment (the loss's weights). */
    public DwAssigner assigner() {
        return assigner;
    }

    /** Class-aware NMS (post-processing). */
    public Nms nms() {
        return nms;
    }

    /** {@code libtorch} or {@code cuda kernels}, for logs. */
    @Override
    public String toString() {
        return name;
    }
}
