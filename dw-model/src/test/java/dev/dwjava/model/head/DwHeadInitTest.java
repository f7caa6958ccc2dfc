package dev.dwjava.model.head;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;

import dev.dwjava.core.runtime.TensorScope;
import dev.dwjava.core.runtime.Torch;
import dev.dwjava.model.weights.WeightLoader;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The head's DCNv2 layers start as in the original's run, mmdetection 2.18.0: the tower's Normal(0, 0.01) init
 * reaches {@code conv_offset} (an nn.Conv2d) and nothing zeroes it again (that came with mmdetection 2.19.1, #6625);
 * the deformable conv's own weight keeps mmcv's uniform init, its bias zero.
 */
class DwHeadInitTest {

    @BeforeAll
    static void init() {
        Torch.init();
    }

    @Test
    void dcnOffsetConvsAreNormalNotZeroAndTheDcnWeightKeepsItsUniformInit() {
        try (TensorScope scope = TensorScope.open()) {
            Map<String, Tensor> s = WeightLoader.stateOf(new DwHead(256, 256, 4, 32, 80, true, true, new int[] {8, 16, 32, 64, 128}));
            for (String tower : new String[] {"cls_convs", "reg_convs"}) {
                String dcn = tower + ".3.conv.";
                Tensor w = s.get(dcn + "conv_offset.weight");
                assertEquals(27 * 256 * 9, w.numel(), dcn);
                // 62,208 draws: the sample mean and std are within 5e-5 and 3e-5 of N(0, 0.01²)'s at one sigma.
                assertEquals(0.0, w.mean().item_double(), 3e-4, dcn + "conv_offset.weight mean");
                assertEquals(0.01, w.std().item_double(), 3e-4, dcn + "conv_offset.weight std");
                assertEquals(0.0, s.get(dcn + "conv_offset.bias").abs().max().item_double(), dcn + "conv_offset.bias");
                // Uniform(±1/sqrt(256·9)): 589,824 draws fill the range. The bound is compared in float32, where the
                // weights live (the float32 bound is a hair above the double one).
                double bound = (float) (1 / Math.sqrt(256 * 9)), max = s.get(dcn + "weight").abs().max().item_double();
                assertTrue(max <= bound && max > 0.999 * bound, dcn + "weight max |w| " + max + ", bound " + bound);
                assertEquals(0.0, s.get(dcn + "bias").abs().max().item_double(), dcn + "bias");
            }
        }
    }
}
