package dev.dwjava.serve;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import dev.dwjava.core.runtime.Torch;
import dev.dwjava.model.DwDetector;
import dev.dwjava.model.ModelConfig;
import dev.dwjava.model.weights.TorchFileWriter;
import dev.dwjava.model.weights.WeightLoader;
import org.bytedeco.pytorch.global.torch;

/**
 * A tiny DW model (ResNet-18 of width 16, 128 px test scale, seeded random weights) written as a config and a
 * checkpoint, for the server's tests and {@code dw bench serve} when no model is given. Its detections are
 * meaningless but deterministic; the config keeps every detection (score_thr 0) up to 10 per image.
 */
public final class TinyModel {
    /** The config file and the weights file. */
    public record ModelFiles(Path config, Path weights) {}

    static final String CONFIG = """
            # A tiny DW model for serving tests and benchmarks (random weights: the boxes mean nothing).
            model: {depth: 18, base_width: 16, frozen_stages: 0, fpn_channels: 32, head_channels: 32, stacked_convs: 1,
              gn_groups: 8, num_classes: 4, box_refine: true, dcn: false}
            test: {nms_pre: 200, score_thr: 0.0, iou_threshold: 0.6, max_per_image: 10}
            data:
              test_scale: {long_edge: 128, short_edge: [128, 128]}
            classes: [circle, rectangle, triangle, ring]
            """;

    private TinyModel() {}

    /** Writes {@code tiny.yaml} and {@code tiny.pth} into {@code dir}. */
    public static ModelFiles write(Path dir) throws IOException {
        Torch.init();
        Files.createDirectories(dir);
        Path config = dir.resolve("tiny.yaml"), weights = dir.resolve("tiny.pth");
        Files.writeString(config, CONFIG);
        torch.manual_seed(16);
        DwDetector model = new DwDetector(new ModelConfig(18, 16, 0, 32, 32, 1, 8, 4, true, false));
        TorchFileWriter.writeStateDict(weights, WeightLoader.stateOf(model));
        return new ModelFiles(config, weights);
    }
}
