package dev.dwjava.core.dw;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.Random;

import dev.dwjava.core.runtime.TensorScope;
import dev.dwjava.core.runtime.Torch;
import dev.dwjava.core.tensor.Tensors;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch.ScalarType;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The autograd path of the loss against central finite differences. The assignment is held fixed (it is detached by
 * design, docs/DW_SPEC.md §3.9), so the difference quotient of the loss with those weights is the gradient autograd must give:
 * through S (positive BCE, S² and BCE(S, 0)) and through the GIoU of the distances.
 */
class DwLossGradientTest {

    @BeforeAll
    static void init() {
        Torch.init();
    }

    @Test
    void gradientsMatchFiniteDifferencesWithFixedAssignment() {
        try (TensorScope scope = TensorScope.open()) {
            DwLossSpecExampleTest.DwCase c = DwLossSpecExampleTest.specExample();
            DwAssignment fixed = new TorchDwAssigner().assign(c.grid(), c.pred(), c.gt());
            Tensor cls = c.pred().clsLogits().clone().requires_grad_(true);
            Tensor dist = c.pred().distances().clone().requires_grad_(true);
            Tensor obj = c.pred().objLogits().clone().requires_grad_(true);
            lossWith(c, fixed, cls, dist, obj).backward();

            Random r = new Random(11);
            for (Tensor param : List.of(cls, dist, obj)) {
                double[] grad = Tensors.toDoubles(param.grad());
                double[] base = Tensors.toDoubles(param.detach());
                for (int trial = 0; trial < 12; trial++) {
                    int k = r.nextInt(base.length);
                    double h = 1e-6 * Math.max(1, Math.abs(base[k]));
                    double plus = lossAt(c, fixed, cls, dist, obj, param, base, k, h);
                    double minus = lossAt(c, fixed, cls, dist, obj, param, base, k, -h);
                    double fd = (plus - minus) / (2 * h);
                    assertEquals(fd, grad[k], 1e-6 * Math.max(1, Math.abs(fd)), "entry " + k + " of " + java.util.Arrays.toString(param.shape()));
                }
            }
        }
    }

    private static double lossAt(DwLossSpecExampleTest.DwCase c, DwAssignment fixed, Tensor cls, Tensor dist, Tensor obj,
                                 Tensor which, double[] base, int k, double h) {
        double[] moved = base.clone();
        moved[k] += h;
        Tensor m = Tensors.of(moved, ScalarType.Double, which.shape());
        return lossWith(c, fixed, which == cls ? m : cls.detach(), which == dist ? m : dist.detach(),
                which == obj ? m : obj.detach()).item_double();
    }

    private static Tensor lossWith(DwLossSpecExampleTest.DwCase c, DwAssignment a, Tensor cls, Tensor dist, Tensor obj) {
        DwLossResult.ImageLoss l = DwLoss.imageLoss(c.grid(), new ImagePredictions(cls, dist, obj), c.gt(), a);
        return l.posClsSum().add(l.posLocSum()).add(l.negSum());
    }
}
