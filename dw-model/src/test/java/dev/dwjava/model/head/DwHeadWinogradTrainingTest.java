package dev.dwjava.model.head;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.ArrayList;
import java.util.List;

import dev.dwjava.core.runtime.Torch;
import dev.dwjava.core.tensor.Tensors;
import dev.dwjava.model.nn.WinogradConv;
import dev.dwjava.model.nn.WinogradTape;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The head trained through {@link WinogradTape} against the same head under plain autograd (libtorch's
 * convolutions): every parameter's gradient and the gradient reaching the graph behind the FPN levels agree to the
 * float error of Winograd's F(4×4, 3×3), for the plain, refining and DCNv2 heads (the DCNv2 conv stays autograd's).
 */
class DwHeadWinogradTrainingTest {
    /** Largest gradient difference allowed, relative to the gradient's largest magnitude. */
    static final double TOLERANCE = 1e-4;

    @BeforeAll
    static void init() {
        Torch.init();
    }

    @Test
    void gradientsMatchAutograd() {
        assumeTrue(WinogradConv.available(), "the Winograd library is not built or this CPU lacks AVX2/FMA: skipped");
        for (boolean refine : new boolean[] {false, true}) {
            for (boolean dcn : new boolean[] {false, true}) {
                compare(refine, dcn);
            }
        }
    }

    private static void compare(boolean refine, boolean dcn) {
        String what = (refine ? "refine" : "plain") + (dcn ? " dcn" : "");
        torch.manual_seed(7);
        DwHead head = new DwHead(32, 32, 3, 8, 16, refine, dcn, new int[] {8, 16, 32, 64});
        int[][] sizes = {{2, 32, 13, 18}, {2, 32, 7, 9}, {2, 32, 3, 4}, {2, 32, 1, 1}};
        List<Tensor> bases = new ArrayList<>();
        for (int[] s : sizes) {
            bases.add(torch.randn(s[0], s[1], s[2], s[3]).requires_grad_(true));
        }
        List<Tensor> plain = run(head, bases, false, dcn);
        List<Tensor> recorded = run(head, bases, true, dcn);
        assertEquals(plain.size(), recorded.size());
        int zeros = 0;
        for (int i = 0; i < plain.size(); i++) {
            Tensor e = plain.get(i), a = recorded.get(i);
            double scale = e.abs().max().item_double(), diff = e.sub(a).abs().max().item_double();
            if (scale == 0) {   // (a level's scale whose distances the ReLU zeroed: no gradient in either)
                assertEquals(0.0, a.abs().max().item_double(), what + ": gradient " + i + " should be zero");
                zeros++;
                continue;
            }
            assertTrue(diff <= TOLERANCE * scale, what + ": gradient " + i + " " + Tensors.shapeOf(e) + " differs by "
                    + diff + " at scale " + scale);
        }
        assertTrue(zeros <= 2, what + ": " + zeros + " gradients are zero");
    }

    /** The gradients of every head parameter, then of the bases behind the levels, for a fixed weighted loss. */
    private static List<Tensor> run(DwHead head, List<Tensor> bases, boolean tape, boolean dcn) {
        for (Tensor p : head.parameterList()) {
            if (p.grad().defined()) {
                p.grad().zero_();
            }
        }
        for (Tensor b : bases) {
            if (b.grad().defined()) {
                b.grad().zero_();
            }
        }
        List<Tensor> features = new ArrayList<>();
        for (Tensor b : bases) {
            features.add(b.mul(Tensors.s(0.5)).add(Tensors.s(0.1)));   // a graph behind the levels, as the FPN's
        }
        try (WinogradTape t = tape ? WinogradTape.open() : null) {
            HeadOutputs out = head.forward(features);
            TestLosses.randomlyWeighted(out.levels(), 11).backward();
            if (t != null) {
                assertEquals(dcn ? 5 : 7, t.recorded(), "recorded convolutions (the towers' plain ones, conv_cls)");
                t.backward();
                assertThrows(IllegalStateException.class, t::backward, "backward runs once");
            }
        }
        List<Tensor> grads = new ArrayList<>();
        for (Tensor p : head.parameterList()) {
            if (p.requires_grad()) {
                grads.add(p.grad().clone());
            }
        }
        for (Tensor b : bases) {
            grads.add(b.grad().clone());
        }
        return grads;
    }
}
