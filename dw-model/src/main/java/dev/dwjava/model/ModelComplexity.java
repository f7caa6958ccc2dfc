package dev.dwjava.model;

import java.util.ArrayList;
import java.util.List;

import dev.dwjava.core.runtime.TensorScope;
import dev.dwjava.model.head.HeadOutputs;
import dev.dwjava.model.nn.Layer;
import dev.dwjava.model.nn.MacCounter;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/**
 * Parameters and FLOPs of a model per module group (backbone, neck, head), as mmdetection's {@code get_flops.py}
 * reports them for one input of a given size. FLOPs are the convolutions' multiply-accumulates counted by
 * {@link MacCounter} (1 MAC = 1 FLOP, fvcore's and mmcv's convention; biases, norms, activations, pooling and
 * upsampling not counted), measured by running the model once on a zero image.
 *
 * @param groups backbone, neck, head, in that order
 */
public record ModelComplexity(List<Group> groups) {
    /**
     * One module group.
     *
     * @param name       {@code backbone}, {@code neck} or {@code head}
     * @param parameters parameter elements, frozen ones included
     * @param trainable  parameter elements that require grad (what mmcv's {@code get_model_complexity_info} counts)
     * @param macs       multiply-accumulates of one forward
     */
    public record Group(String name, long parameters, long trainable, long macs) {}

    /** Measures {@code model} on one {@code height × width} input (multiples of 32), on the model's device. */
    public static ModelComplexity measure(DwDetector model, int height, int width) {
        if (height <= 0 || width <= 0 || height % 32 != 0 || width % 32 != 0) {
            throw new IllegalArgumentException("the input size must be positive multiples of 32, found " + height + "x" + width);
        }
        List<Group> groups = new ArrayList<>();
        try (TensorScope scope = TensorScope.open(); NoGradGuard g = new NoGradGuard()) {
            Tensor x = torch.zeros(1, 3, height, width);
            if (model.device().cuda()) {
                x = x.to(model.device().torchDevice(), x.scalar_type());
            }
            MacCounter.start();
            List<Tensor> c = model.backbone().forward(x);
            groups.add(group("backbone", model.backbone(), MacCounter.stop()));
            MacCounter.start();
            List<Tensor> p = model.neck().forward(c);
            groups.add(group("neck", model.neck(), MacCounter.stop()));
            MacCounter.start();
            HeadOutputs ignored = model.head().forward(p);
            groups.add(group("head", model.head(), MacCounter.stop()));
        } finally {
            MacCounter.stop();
        }
        return new ModelComplexity(List.copyOf(groups));
    }

    private static Group group(String name, Layer layer, long macs) {
        long all = 0, trainable = 0;
        for (Tensor t : layer.parameterList()) {
            all += t.numel();
            trainable += t.requires_grad() ? t.numel() : 0;
        }
        return new Group(name, all, trainable, macs);
    }

    /** The sum over the groups. */
    public Group total() {
        long p = 0, t = 0, m = 0;
        for (Group g : groups) {
            p += g.parameters();
            t += g.trainable();
            m += g.macs();
        }
        return new Group("total", p, t, m);
    }
}
