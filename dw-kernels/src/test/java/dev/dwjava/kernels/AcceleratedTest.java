package dev.dwjava.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import java.util.Random;

import dev.dwjava.core.ScopedTensors;
import dev.dwjava.core.box.CpuNms;
import dev.dwjava.core.dw.TorchDwAssigner;
import dev.dwjava.core.tensor.Tensors;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch.ScalarType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** CPU tensors take the libtorch / CPU implementations (nothing CUDA is touched) and get their exact answers. */
@ExtendWith(ScopedTensors.class)
class AcceleratedTest {
    @Test
    void cpuTensorsUseTheCpuImplementations() {
        Random r = new Random(1);
        Tensor boxes = RandomInputs.boxes(r, 300, ScalarType.Float), scores = RandomInputs.scores(r, 300, ScalarType.Float);
        Tensor labels = RandomInputs.labels(r, 300, 4);
        assertArrayEquals(Tensors.toLongs(new CpuNms().batchedNms(boxes, scores, labels, 0.5)),
                Tensors.toLongs(Accelerated.nms().batchedNms(boxes, scores, labels, 0.5)));
        RandomInputs.DwInputs in = RandomInputs.dw(3, 128, 160, 5, 4, ScalarType.Float);
        KernelDwAssignerTest.assertSame(new TorchDwAssigner().assign(in.points(), in.predictions(), in.gt()),
                Accelerated.assigner().assign(in.points(), in.predictions(), in.gt()), 0);
    }
}
