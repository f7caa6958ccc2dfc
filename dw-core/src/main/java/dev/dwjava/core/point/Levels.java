package dev.dwjava.core.point;

import java.util.ArrayList;
import java.util.List;

import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;

/** Flattening of per-level head outputs into per-image point tensors (docs/DW_SPEC.md §2 order). */
public final class Levels {
    private Levels() {}

    /**
     * @param perLevel one (B, K, H_l, W_l) tensor per level
     * @return one (P, K) tensor per image: NCHW → NHWC → (HW, K), levels concatenated
     */
    public static List<Tensor> toImages(List<Tensor> perLevel) {
        long batch = perLevel.get(0).size(0);
        TensorVector flat = new TensorVector();
        for (Tensor level : perLevel) {
            if (level.dim() != 4 || level.size(0) != batch) {
                throw new IllegalArgumentException("every level must be (B=" + batch + ", K, H, W), found "
                        + java.util.Arrays.toString(level.shape()));
            }
            flat.push_back(pointMajor(level));
        }
        Tensor all = torch.cat(flat, 1);                                    // (B, P, K)
        List<Tensor> images = new ArrayList<>();
        for (long b = 0; b < batch; b++) {
            images.add(all.select(0, b));
        }
        return images;
    }

    /**
     * The one layout change between the head and the per-point tensors: (K, H, W) → (H·W, K) for one image,
     * (B, K, H, W) → (B, H·W, K) for a batch; points row-major as in {@link PointGrid}.
     */
    public static Tensor pointMajor(Tensor level) {
        if (level.dim() == 3) {
            return level.permute(1, 2, 0).reshape(-1, level.size(0));
        }
        if (level.dim() == 4) {
            return level.permute(0, 2, 3, 1).reshape(level.size(0), -1, level.size(1));
        }
        throw new IllegalArgumentException("a level must be (K, H, W) or (B, K, H, W), found " + java.util.Arrays.toString(level.shape()));
    }

    /** The feature levels of per-level tensors with the given strides. */
    public static List<FeatureLevel> levelsOf(List<Tensor> perLevel, int[] strides) {
        if (perLevel.size() != strides.length) {
            throw new IllegalArgumentException(perLevel.size() + " levels but " + strides.length + " strides");
        }
        List<FeatureLevel> levels = new ArrayList<>();
        for (int l = 0; l < strides.length; l++) {
            Tensor t = perLevel.get(l);
            levels.add(new FeatureLevel((int) t.size(2), (int) t.size(3), strides[l]));
        }
        return levels;
    }
}
