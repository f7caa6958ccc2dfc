package dev.dwjava.train.engine;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import dev.dwjava.core.dw.GroundTruth;
import dev.dwjava.core.tensor.Tensors;
import dev.dwjava.data.loader.DetectionBatch;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch.ScalarType;

/** Deterministic in-memory batches for training tests: one bright rectangle per 64×64 image on noise, its box as GT. */
public final class TrainerTestData {
    private TrainerTestData() {}

    public static DetectionBatch batch(Random r, int b) {
        return batch(r, b, 16, 24);
    }

    /** Boxes with sides in [minSide, minSide + spread) px. */
    public static DetectionBatch batch(Random r, int b, int minSide, int spread) {
        int h = 64, w = 64;
        float[] px = new float[b * 3 * h * w];
        List<GroundTruth> gts = new ArrayList<>();
        for (int i = 0; i < b; i++) {
            int bw = minSide + r.nextInt(spread), bh = minSide + r.nextInt(spread);
            int x1 = r.nextInt(w - bw + 1), y1 = r.nextInt(h - bh + 1), x2 = x1 + bw, y2 = y1 + bh;
            for (int c = 0; c < 3; c++) {
                for (int y = 0; y < h; y++) {
                    for (int x = 0; x < w; x++) {
                        boolean in = x >= x1 && x < x2 && y >= y1 && y < y2;
                        px[((i * 3 + c) * h + y) * w + x] = (float) ((in ? 1.5 : -0.5) + 0.2 * r.nextGaussian());
                    }
                }
            }
            gts.add(new GroundTruth(Tensors.of(new double[] {x1, y1, x2, y2}, ScalarType.Float, 1, 4),
                    Tensors.ofLongs(new long[] {r.nextInt(3)}, 1)));
        }
        return DetectionBatch.ofInputs(Tensor.create(px, b, 3, h, w), gts);
    }
}
