package dev.dwjava.serve;

import java.util.ArrayList;
import java.util.List;

import dev.dwjava.core.image.RgbImage;
import dev.dwjava.model.inference.Detection;
import dev.dwjava.model.inference.Detector;

/** {@link BatchDetector} over dw-model's {@link Detector}. Only the batching worker calls it, one batch at a time. */
public final class DetectorAdapter implements BatchDetector {
    private final Detector detector;

    public DetectorAdapter(Detector detector) {
        this.detector = detector;
    }

    public Detector detector() {
        return detector;
    }

    @Override
    public synchronized List<List<Detection>> detect(List<RgbImage> images, float scoreThr) {
        return oneByOne(images, scoreThr);   // TODO(merge): call Detector.detectBatch: return detector.detectBatch(images, scoreThr);
    }

    private List<List<Detection>> oneByOne(List<RgbImage> images, float scoreThr) {
        List<List<Detection>> out = new ArrayList<>(images.size());
        for (RgbImage image : images) {
            out.add(detector.detect(image).stream().filter(d -> d.score() > scoreThr).toList());
        }
        return out;
    }

    @Override
    public List<String> classNames() {
        return detector.classNames();
    }

    @Override
    public boolean ignoreOrientation() {
        return detector.pipeline().ignoreOrientation();
    }
}
