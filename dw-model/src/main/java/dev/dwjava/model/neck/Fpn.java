package dev.dwjava.model.neck;

import java.util.ArrayList;
import java.util.List;

import dev.dwjava.model.nn.Conv2d;
import dev.dwjava.model.nn.ConvModule;
import dev.dwjava.model.nn.Indexed;
import dev.dwjava.model.nn.Init;
import dev.dwjava.model.nn.Layer;
import dev.dwjava.model.nn.WinogradTape;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/**
 * FPN from C3..C5 to P3..P7 (docs/DW_SPEC.md §1.2): 1×1 laterals, nearest top-down sums (P4 first, then P3), 3×3 output
 * convs, P6 = 3×3/2 conv of the P5 output, P7 = 3×3/2 conv of ReLU(P6). Names: {@code lateral_convs.{0,1,2}.conv},
 * {@code fpn_convs.{0..4}.conv}. Xavier-uniform init, zero bias.
 */
public final class Fpn extends Layer {
    private final Indexed<ConvModule> lateral, output;

    /** @param inChannels channels of C3, C4, C5 */
    public Fpn(int[] inChannels, int channels) {
        lateral = child("lateral_convs", new Indexed<>());
        output = child("fpn_convs", new Indexed<>());
        for (int c : inChannels) {
            lateral.add(new ConvModule(new Conv2d(c, channels, 1, 1, 0, true), null));
            output.add(new ConvModule(new Conv2d(channels, channels, 3, 1, 1, true), null));
        }
        output.add(new ConvModule(new Conv2d(channels, channels, 3, 2, 1, true), null));   // P6
        output.add(new ConvModule(new Conv2d(channels, channels, 3, 2, 1, true), null));   // P7
        for (ConvModule m : lateral.items()) {
            Init.xavierUniform(m.conv);
        }
        for (ConvModule m : output.items()) {
            Init.xavierUniform(m.conv);
        }
    }

    /** @param c C3, C4, C5; @return P3..P7 */
    public List<Tensor> forward(List<Tensor> c) {
        // Under a Winograd tape (CPU training) the output convs of P3–P5 are recorded on it: each level's sum is cut
        // first, since the next level's upsampling reads it too (WinogradTape#cut).
        WinogradTape tape = WinogradTape.active();
        Tensor l3 = lateral.get(0).forward(c.get(0));
        Tensor l4 = lateral.get(1).forward(c.get(1));
        Tensor l5 = cut(tape, lateral.get(2).forward(c.get(2)));
        l4 = cut(tape, l4.add(torch.upsample_nearest2d(l5, new long[] {l4.size(2), l4.size(3)})));
        l3 = l3.add(torch.upsample_nearest2d(l4, new long[] {l3.size(2), l3.size(3)}));
        List<Tensor> p = new ArrayList<>();
        p.add(output(0, l3, tape));
        p.add(output(1, l4, tape));
        p.add(output(2, l5, tape));
        p.add(output.get(3).forward(p.get(2)));
        p.add(output.get(4).forward(p.get(3).relu()));
        return p;
    }

    private static Tensor cut(WinogradTape tape, Tensor x) {
        return tape == null ? x : tape.cut(x);
    }

    /** Output conv {@code i} of {@code x}: recorded on the tape where it can be (the result channels-last). */
    private Tensor output(int i, Tensor x, WinogradTape tape) {
        Conv2d conv = output.get(i).conv;
        return tape != null && tape.records(conv, x) ? tape.forward(conv, List.of(x)).get(0) : output.get(i).forward(x);
    }
}
