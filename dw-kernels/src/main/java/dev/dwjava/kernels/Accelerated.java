package dev.dwjava.kernels;

import dev.dwjava.core.box.CpuNms;
import dev.dwjava.core.box.Nms;
import dev.dwjava.core.dw.DwAssigner;
import dev.dwjava.core.dw.DwAssignment;
import dev.dwjava.core.dw.GroundTruth;
import dev.dwjava.core.dw.ImagePredictions;
import dev.dwjava.core.dw.TorchDwAssigner;
import dev.dwjava.core.point.PointGrid;
import org.bytedeco.pytorch.Tensor;

/**
 * The implementations the application uses, chosen per call by where the tensors live: CUDA tensors go to the
 * hand-written kernels when the jar carries them, everything else to the libtorch / CPU implementations. On a machine
 * without CUDA, or for CPU tensors, no CUDA class is ever touched.
 */
public final class Accelerated {
    private Accelerated() {}

    /** DW assignment: {@link KernelDwAssigner} for CUDA predictions, {@link TorchDwAssigner} otherwise. */
    public static DwAssigner assigner() {
        TorchDwAssigner libtorch = new TorchDwAssigner();
        return new DwAssigner() {
            private DwAssigner cuda;

            @Override
            public DwAssignment assign(PointGrid points, ImagePredictions predictions, GroundTruth gt) {
                if (predictions.distances().is_cuda() && Kernels.cuda().isPresent()) {
                    if (cuda == null) {
                        cuda = new KernelDwAssigner(Kernels.cuda().get());
                    }
                    return cuda.assign(points, predictions, gt);
                }
                return libtorch.assign(points, predictions, gt);
            }
        };
    }

    /** NMS: {@link KernelNms} for CUDA boxes (up to {@link KernelNms#MAX_BOXES}), {@link CpuNms} otherwise. */
    public static Nms nms() {
        CpuNms cpu = new CpuNms();
        return new Nms() {
            private Nms cuda;

            private Nms pick(Tensor boxes) {
                if (boxes.is_cuda() && boxes.size(0) <= KernelNms.MAX_BOXES && Kernels.cuda().isPresent()) {
                    if (cuda == null) {
                        cuda = new KernelNms(Kernels.cuda().get());
                    }
                    return cuda;
                }
                return cpu;
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
    }
}
