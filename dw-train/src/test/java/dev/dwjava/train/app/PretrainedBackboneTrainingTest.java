package dev.dwjava.train.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import dev.dwjava.core.runtime.TensorScope;
import dev.dwjava.model.Fixtures;
import dev.dwjava.model.weights.TorchFile;
import dev.dwjava.train.config.DwConfig;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The worefine recipe trains from a torchvision V1 file as users have it: legacy (tar) format, no
 * num_batches_tracked, named {@code resnet50-19c8e357.pth}, found through {@code -Ddw.pretrained.dir}. The frozen
 * stem and layer1 (frozen_stages 1) of the first checkpoint equal the file exactly (no SGD step, no weight decay).
 * Small scale: the fixture ResNet-50 of base width 4 (make_legacy_fixtures.py), a tiny synthetic dataset, one epoch.
 */
class PretrainedBackboneTrainingTest {

    @Test
    void worefineConfigStartsFromTheV1FileAndKeepsFrozenStagesExactly(@TempDir Path tmp) throws Exception {
        Path pretrained = tmp.resolve("pretrained");
        Files.createDirectories(pretrained);
        Path v1 = Files.copy(Fixtures.path("tv_r50_w4_legacy_tar.pth"), pretrained.resolve("resnet50-19c8e357.pth"));
        Path data = tmp.resolve("data"), work = tmp.resolve("work");
        Path config = TrainRunnerTest.quickstartConfig().resolveSibling("dw_r50_fpn_worefine_1x_coco.yaml");
        DwConfig.Loaded cfg = DwConfig.load(config, List.of("model.base_width=4", "model.fpn_channels=16",
                "model.head_channels=16", "model.gn_groups=4", "model.stacked_convs=1", "model.num_classes=4",
                "classes=[circle, rectangle, triangle, ring]",
                "data.train.annotations=" + data + "/annotations/instances_train.json", "data.train.images=" + data + "/train",
                "data.val.annotations=" + data + "/annotations/instances_val.json", "data.val.images=" + data + "/val",
                "data.synthetic={train: 8, val: 4, size: 64, seed: 5}", "data.train_scale={long_edge: 64, short_edge: [64, 64]}",
                "data.test_scale={long_edge: 64, short_edge: [64, 64]}", "data.images_per_process=4", "solver.epochs=1",
                "solver.warmup_iters=1", "runtime.eval_interval=0", "runtime.checkpoint_interval=1", "runtime.log_interval=1"));
        assertEquals("torchvision://resnet50", cfg.config().runtime().pretrained());
        assertEquals(1, cfg.config().model().frozenStages());
        assertFalse(cfg.config().model().boxRefine());
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        String old = System.getProperty("dw.pretrained.dir");
        System.setProperty("dw.pretrained.dir", pretrained.toString());
        try {
            new TrainRunner(cfg, work, new PrintStream(log, true)).run(null);
        } finally {
            if (old == null) {
                System.clearProperty("dw.pretrained.dir");
            } else {
                System.setProperty("dw.pretrained.dir", old);
            }
        }
        assertTrue(log.toString().contains("pretrained backbone: loaded 265 tensors from " + v1), log.toString());

        try (TensorScope scope = TensorScope.open()) {
            Map<String, Tensor> file = TorchFile.loadStateDict(v1);
            Map<String, Tensor> ckpt = TorchFile.loadStateDict(work.resolve("epoch_1.pth"));
            int frozen = 0, trainedChanged = 0, trained = 0;
            for (Map.Entry<String, Tensor> e : file.entrySet()) {
                String k = e.getKey();
                if (k.startsWith("fc.")) {
                    continue;
                }
                Tensor saved = ckpt.get("backbone." + k);
                boolean stats = k.endsWith("running_mean") || k.endsWith("running_var");
                if (k.startsWith("conv1.") || k.startsWith("bn1.") || k.startsWith("layer1.")) {
                    assertTrue(torch.equal(e.getValue(), saved), "frozen " + k + " changed");
                    frozen++;
                } else if (stats) {
                    assertTrue(torch.equal(e.getValue(), saved), "BN statistics " + k + " changed (norm_eval)");
                } else {
                    trained++;
                    trainedChanged += torch.equal(e.getValue(), saved) ? 0 : 1;
                }
            }
            // conv1 + bn1 (5) + layer1: 3 bottlenecks × (3 convs + 3 BNs × 4) + downsample (conv + BN × 4).
            assertEquals(5 + 3 * 15 + 5, frozen);
            // Every trainable backbone weight and BN affine of layer2..4 moved (the test can tell training happened).
            assertEquals(126, trained);
            assertEquals(trained, trainedChanged);
            assertEquals(0, ckpt.get("backbone.layer1.0.bn1.num_batches_tracked").item_long());
            // The optimizer never held momentum for a frozen tensor.
            Map<String, Tensor> momentum = TorchFile.loadStateDict(work.resolve("epoch_1.optim.pth"));
            assertTrue(momentum.keySet().stream().noneMatch(k -> k.matches("backbone\\.(conv1|bn1|layer1)\\..*")),
                    momentum.keySet().toString());
            assertTrue(momentum.containsKey("backbone.layer2.0.conv1.weight"), momentum.keySet().toString());
        }
    }
}
