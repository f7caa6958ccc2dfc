package dev.dwjava.serve;

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

    /**
     * One batched call of {@link Detector#detectBatch(List, float)}. A request's threshold below the config's
     * {@code test.score_thr} keeps what the config keeps; post-processing at the higher of the two gives exactly the
     * config's detections filtered by the request's (thresholding before or after NMS and the top-k keeps the same
     * boxes: only higher-scored boxes suppress a box).
     */
    @Override
    public List<List<Detection>> detect(List<RgbImage> images, float scoreThr) {
        if (scoreThr >= 1) {
            return images.stream().map(i -> List.<Detection>of()).toList();   // no score exceeds 1
        }
        return detector.detectBatch(images, Math.max(scoreThr, detector.scoreThreshold()));
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
