package dev.dwjava.model.inference;

import static dev.dwjava.core.tensor.Tensors.s;

import java.util.ArrayList;
import java.util.List;

import dev.dwjava.core.image.RgbImage;
import dev.dwjava.model.DwDetector;
import dev.dwjava.model.postprocess.Detections;
import dev.dwjava.model.postprocess.PostProcessor;
import dev.dwjava.model.postprocess.TestConfig;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;

/**
 * Test-time augmentation as mmdetection's {@code aug_test} of single-stage detectors does it: the image at each scale
 * and, at each scale, flipped horizontally; each forward's candidates (post-processing up to NMS: score threshold and
 * {@code nms_pre} per level) mapped back to the original image (un-flipped: {@code x1' = W − x2}, {@code x2' = W − x1};
 * divided by the resize factors), all concatenated, then one class-aware NMS with the test config's IoU threshold and
 * the best {@code max_per_image} kept ({@code merge_aug_bboxes} + {@code multiclass_nms}).
 *
 * <p>The flipped image is flipped before the resize (mmdetection flips after it; bilinear resizing commutes with the
 * flip up to the rounding of OpenCV's fixed-point weights) and padded at its right and bottom, as mmdetection pads.
 *
 * @param pipelines one test pipeline per scale (one image per forward)
 */
public record TestTimeAugmentation(List<TestPipeline> pipelines) {
    /** Checks that there is at least one scale. */
    public TestTimeAugmentation {
        if (pipelines.isEmpty()) {
            throw new IllegalArgumentException("test-time augmentation needs at least one scale");
        }
        pipelines = List.copyOf(pipelines);
    }

    /**
     * The scales of {@code test.tta_scales} (short edges, each with the test scale's long edge), or the test scale alone
     * when there are none; flipped and not at each.
     */
    public static TestTimeAugmentation of(TestPipeline test, TestConfig config) {
        List<TestPipeline> p = new ArrayList<>();
        for (int s : config.ttaScales()) {
            p.add(new TestPipeline(test.longEdge(), s, 1, test.ignoreOrientation()));
        }
        if (p.isEmpty()) {
            p.add(new TestPipeline(test.longEdge(), test.shortEdge(), 1, test.ignoreOrientation()));
        }
        return new TestTimeAugmentation(p);
    }

    /** The image mirrored left to right. */
    public static RgbImage flip(RgbImage image) {
        int w = image.width(), h = image.height();
        byte[] src = image.pixels(), dst = new byte[src.length];
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                int from = (y * w + x) * 3, to = (y * w + (w - 1 - x)) * 3;
                dst[to] = src[from];
                dst[to + 1] = src[from + 1];
                dst[to + 2] = src[from + 2];
            }
        }
        return new RgbImage(w, h, dst);
    }

    /**
     * The merged detections of one image, in original pixels. Tensors belong to the caller's scope; gradients should be
     * off (the caller's {@code NoGradGuard}).
     */
    public Detections detect(DwDetector model, PostProcessor post, RgbImage image) {
        RgbImage flipped = flip(image);
        TensorVector boxes = new TensorVector(), scores = new TensorVector(), labels = new TensorVector();
        for (TestPipeline p : pipelines) {
            for (boolean f : new boolean[] {false, true}) {
                TestPipeline.Input in = p.prepare(f ? flipped : image);
                PostProcessor.Candidates c = post.candidates(post.config().forward(model, in.tensor()).image(0), in.meta());
                boxes.push_back(f ? unflip(c.boxes(), image.width()) : c.boxes());
                scores.push_back(c.scores());
                labels.push_back(c.labels());
            }
        }
        return post.suppress(torch.cat(boxes, 0), torch.cat(scores, 0), torch.cat(labels, 0));
    }

    /** Boxes of an image of width {@code w} flipped left to right (mmdetection's {@code bbox_flip}, horizontal). */
    public static Tensor unflip(Tensor boxes, int w) {
        Tensor x1 = boxes.select(1, 2).neg().add(s((double) w)), x2 = boxes.select(1, 0).neg().add(s((double) w));
        return torch.stack(new TensorVector(x1, boxes.select(1, 1), x2, boxes.select(1, 3)), 1);
    }
}
