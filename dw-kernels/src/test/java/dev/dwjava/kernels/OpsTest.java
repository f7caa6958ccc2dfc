package dev.dwjava.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Random;

import dev.dwjava.core.ScopedTensors;
import dev.dwjava.core.box.CpuNms;
import dev.dwjava.core.dw.TorchDwAssigner;
import dev.dwjava.core.runtime.ComputeDevice;
import dev.dwjava.core.tensor.Tensors;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch.ScalarType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** The ops chosen from the device: libtorch / CPU ones on the CPU (nothing CUDA is touched), kernels where they run. */
@ExtendWith(ScopedTensors.class)
class OpsTest {
    @Test
    void cpuDeviceUsesTheCpuImplementations() {
        Ops ops = Ops.forDevice(ComputeDevice.CPU);
        assertEquals("libtorch", ops.toString());
        Random r = new Random(1);
        Tensor boxes = RandomInputs.boxes(r, 300, ScalarType.Float), scores = RandomInputs.scores(r, 300, ScalarType.Float);
        Tensor labels = RandomInputs.labels(r, 300, 4);
        assertArrayEquals(Tensors.toLongs(new CpuNms().batchedNms(boxes, scores, labels, 0.5)),
                Tensors.toLongs(ops.nms().batchedNms(boxes, scores, labels, 0.5)));
        RandomInputs.DwInputs in = RandomInputs.dw(3, 128, 160, 5, 4, ScalarType.Float);
        KernelDwAssignerTest.assertSame(new TorchDwAssigner().assign(in.points(), in.predictions(), in.gt()),
                ops.assigner().assign(in.points(), in.predictions(), in.gt()), 0);
    }

    /** With the host launcher, which accepts CPU tensors, the kernels run: their P_neg entries come in pair order. */
    @Test
    void kernelOpsRunTheKernelsOnTheTensorsTheirLauncherAccepts() {
        KernelLauncher host = HostKernels.launcher(32);
        Ops ops = Ops.withKernels(host);
        RandomInputs.DwInputs in = RandomInputs.dw(3, 128, 160, 5, 4, ScalarType.Float);
        assertArrayEquals(Tensors.toLongs(new KernelDwAssigner(host).assign(in.points(), in.predictions(), in.gt()).negIndex()),
                Tensors.toLongs(ops.assigner().assign(in.points(), in.predictions(), in.gt()).negIndex()));
        Random r = new Random(2);
        Tensor boxes = RandomInputs.boxes(r, 500, ScalarType.Float), scores = RandomInputs.scores(r, 500, ScalarType.Float);
        Tensor labels = RandomInputs.labels(r, 500, 3);
        assertArrayEquals(Tensors.toLongs(new CpuNms().batchedNms(boxes, scores, labels, 0.6)),
                Tensors.toLongs(ops.nms().batchedNms(boxes, scores, labels, 0.6)));
    }
}
