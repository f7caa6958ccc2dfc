package dev.dwjava.kernels;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import dev.dwjava.core.dw.DwAssignment;
import org.bytedeco.pytorch.global.torch.ScalarType;

/**
 * Seeded batches whose per-image kernel results (host build, the per-image launch sequence of dw-java before the
 * batch-level weighting) are committed under {@code perimage/}: the batch path must reproduce them bit for bit.
 * Written once by {@code PerImageFixturesTest#write} with {@code -Ddw.kernels.writePerImage=true}.
 */
final class PerImageFixtures {
    static final String RESOURCE_DIR = "src/test/resources/dev/dwjava/kernels/perimage";

    /** seed, image height, width, GTs per image (one entry per image), classes, dtype, block. */
    record Batch(long seed, int h, int w, int[] numGt, int numClasses, ScalarType dtype, int block) {
        String name() {
            StringBuilder g = new StringBuilder();
            for (int n : numGt) {
                g.append(g.length() == 0 ? "" : "-").append(n);
            }
            return "batch_s" + seed + "_g" + g + "_c" + numClasses + "_" + (dtype == ScalarType.Float ? "f32" : "f64") + "_b" + block;
        }

        /** The images: the same grid (one input size), predictions and GT drawn per image from seed·100 + b. */
        List<RandomInputs.DwInputs> images() {
            List<RandomInputs.DwInputs> out = new ArrayList<>();
            for (int b = 0; b < numGt.length; b++) {
                out.add(RandomInputs.dw(seed * 100 + b, h, w, numGt[b], numClasses, dtype));
            }
            return out;
        }
    }

    static final List<Batch> BATCHES = List.of(
            new Batch(11, 320, 480, new int[] {7, 0, 30}, 20, ScalarType.Float, 32),
            new Batch(12, 320, 480, new int[] {12, 3}, 80, ScalarType.Float, 256),
            new Batch(13, 256, 320, new int[] {20, 1, 0, 9}, 5, ScalarType.Double, 64),
            new Batch(14, 320, 480, new int[] {0, 0}, 20, ScalarType.Float, 32),
            new Batch(15, 256, 256, new int[] {40}, 3, ScalarType.Float, 1024),
            new Batch(16, 256, 256, new int[] {25, 6}, 3, ScalarType.Double, 512));

    private PerImageFixtures() {}

    static Path file(Batch b) {
        return Path.of(RESOURCE_DIR, b.name() + ".dwcase");
    }

    /** One image's assignment as arrays {@code i<b>_<field>}. */
    static void put(ContractCase c, int image, DwAssignment a) {
        String p = "i" + image + "_";
        c.put(p + "pair_point", a.pairPoint()).put(p + "pair_gt", a.pairGt()).put(p + "pos_weight", a.posWeight())
                .put(p + "neg_index", a.negIndex()).put(p + "neg_value", a.negValue()).put(p + "neg_factor", a.negFactor().reshape(1))
                .put(p + "inside_count", a.diagnostics().insideCount()).put(p + "max_iou", a.diagnostics().maxIou())
                .put(p + "num_good", a.diagnostics().numIouAtLeastHalf()).put(p + "sum_weight", a.diagnostics().sumPosWeight());
    }

    static void write(Batch b, List<DwAssignment> perImage) throws IOException {
        ContractCase c = new ContractCase(b.name());
        for (int i = 0; i < perImage.size(); i++) {
            put(c, i, perImage.get(i));
        }
        c.write(file(b));
    }
}
