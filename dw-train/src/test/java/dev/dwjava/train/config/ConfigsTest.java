package dev.dwjava.train.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;

/** Every config of the results table loads with the settings of docs/DW_SPEC.md §5–6. */
class ConfigsTest {
    private static final Path CONFIGS = Path.of(System.getProperty("maven.multiModuleProjectDirectory", ".."), "configs");

    private static DwConfig load(String name) {
        Path p = CONFIGS.resolve(name + ".yaml");
        if (!p.toFile().isFile()) {
            p = Path.of("..", "configs", name + ".yaml");
        }
        return DwConfig.load(p, List.of()).config();
    }

    @Test
    void resultsTableRows() {
        DwConfig base = load("dw_r50_fpn_1x_coco");
        assertEquals(50, base.model().depth());
        assertTrue(base.model().boxRefine());
        assertEquals(List.of(8, 11), base.solver().steps());
        assertEquals(12, base.solver().epochs());
        assertEquals(0.01, base.solver().scaledLr(16));
        assertEquals(List.of(800, 800), base.data().trainScale().shortEdge());
        assertEquals(80, base.classes().size());
        assertEquals("person", base.classes().get(0));
        assertEquals("toothbrush", base.classes().get(79));

        DwConfig worefine = load("dw_r50_fpn_worefine_1x_coco");
        assertEquals(false, worefine.model().boxRefine());

        DwConfig ms = load("dw_r50_fpn_mstrain_2x_coco");
        assertEquals(List.of(480, 960), ms.data().trainScale().shortEdge());
        assertEquals(List.of(800, 800), ms.data().testScale().shortEdge());
        assertEquals(List.of(16, 22), ms.solver().steps());
        assertEquals(24, ms.solver().epochs());

        DwConfig r101 = load("dw_r101_fpn_worefine_mstrain_2x_coco");
        assertEquals(101, r101.model().depth());
        assertEquals(false, r101.model().boxRefine());
        assertEquals("torchvision://resnet101", r101.runtime().pretrained());

        DwConfig dcn = load("dw_r50_fpn_dconv_c3-c5_mstrain_2x_coco");
        assertTrue(dcn.model().dcn());
        assertTrue(dcn.model().boxRefine());
        assertEquals(List.of(480, 960), dcn.data().trainScale().shortEdge());
        assertEquals(24, dcn.solver().epochs());
    }

    @Test
    void optimizerAndScheduleChoicesBindFromYaml() {
        DwConfig paper = load("dw_r50_fpn_1x_coco");
        assertEquals("sgd", paper.solver().optimizer());
        assertEquals("step", paper.solver().policy());
        DwConfig tuned = DwConfig.load(CONFIGS.resolve("dw_r50_fpn_1x_coco.yaml"), List.of("solver.optimizer=adamw",
                "solver.betas=[0.9, 0.98]", "solver.eps=1e-6", "solver.policy=cosine", "solver.min_lr_ratio=0.01")).config();
        assertEquals("adamw", tuned.solver().optimizer());
        assertEquals(List.of(0.9, 0.98), tuned.solver().betas());
        assertEquals(1e-6, tuned.solver().eps());
        assertEquals("cosine", tuned.solver().policy());
        assertEquals(0.01, tuned.solver().minLrRatio());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> DwConfig.load(
                CONFIGS.resolve("dw_r50_fpn_1x_coco.yaml"), List.of("solver.policy=linear")));
        assertTrue(e.getMessage().contains("solver: policy must be step or cosine, found 'linear'"), e.getMessage());
    }

    @Test
    void unknownKeysNameTheFile() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> DwConfig.load(
                CONFIGS.resolve("dw_r50_fpn_1x_coco.yaml"), List.of("solver.learning_rate=0.1")));
        assertTrue(e.getMessage().contains("dw_r50_fpn_1x_coco.yaml: unknown key 'solver.learning_rate'"), e.getMessage());
    }

    private static DwConfig with(String... overrides) {
        Path p = CONFIGS.resolve("quickstart.yaml");
        return DwConfig.load(p.toFile().isFile() ? p : Path.of("..", "configs", "quickstart.yaml"), List.of(overrides)).config();
    }

    @Test
    void checkpointIntervalCountsEpochsOrIterations() {
        assertEquals(CheckpointInterval.everyEpochs(5), with().runtime().checkpointInterval());   // quickstart.yaml: 5
        assertEquals(CheckpointInterval.everyEpochs(2), with("runtime.checkpoint_interval=2").runtime().checkpointInterval());
        assertEquals(CheckpointInterval.everyEpochs(3), with("runtime.checkpoint_interval={epochs: 3}").runtime().checkpointInterval());
        CheckpointInterval iters = with("runtime.checkpoint_interval={iters: 500}").runtime().checkpointInterval();
        assertEquals(new CheckpointInterval(0, 500), iters);
        assertTrue(iters.byIters());
        assertEquals(null, with().runtime().saveBest());
        assertEquals("bbox_mAP_50", with("runtime.save_best=bbox_mAP_50").runtime().saveBest());
        for (String bad : new String[] {"0", "-1", "1.5", "500i", "{iters: 0}", "{iters: 5, epochs: 1}", "{steps: 5}", "[1]"}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> with("runtime.checkpoint_interval=" + bad), bad);
            assertTrue(e.getMessage().contains("quickstart.yaml: runtime.checkpoint_interval must be a positive number of"
                    + " epochs (2), {epochs: 2} or {iters: 500}, found "), bad + ": " + e.getMessage());
            assertEquals(1, e.getMessage().lines().count(), e.getMessage());
        }
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> with("runtime.save_best=mAP"));
        assertTrue(e.getMessage().contains("runtime.save_best must be one of [bbox_mAP, bbox_mAP_50, bbox_mAP_75, bbox_mAP_s,"
                + " bbox_mAP_m, bbox_mAP_l] or null, found 'mAP'"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> with("runtime.save_best=bbox_mAP", "runtime.eval_interval=0"));
        assertTrue(e.getMessage().contains("runtime.save_best needs evaluations"), e.getMessage());
    }
}
