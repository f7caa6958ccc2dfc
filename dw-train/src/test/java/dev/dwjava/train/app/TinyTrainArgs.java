package dev.dwjava.train.app;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The {@code dw train} command line of a tiny quick-start run (base width 8, 64 px images, no evaluation, a checkpoint
 * every epoch) on a dataset made by {@code SyntheticCoco.generate(data, ...)}: what the crash and multi-node tests run.
 */
public final class TinyTrainArgs {
    private TinyTrainArgs() {}

    public static List<String> of(Path data, Path work, int epochs, boolean autoResume, int imagesPerProcess) {
        List<String> args = new ArrayList<>(List.of("train", "--config", TrainRunnerTest.quickstartConfig().toAbsolutePath().toString(),
                "--work-dir", work.toString()));
        if (autoResume) {
            args.add("--auto-resume");
        }
        args.add("--cfg-options");
        args.addAll(overrides(data, epochs, imagesPerProcess));
        return args;
    }

    /** The {@code --cfg-options} of {@link #of}. */
    public static List<String> overrides(Path data, int epochs, int imagesPerProcess) {
        return List.of("model.base_width=8", "model.fpn_channels=16", "model.head_channels=16",
                "model.gn_groups=4", "model.stacked_convs=1",
                "data.train.annotations=" + data + "/annotations/instances_train.json", "data.train.images=" + data + "/train",
                "data.val.annotations=" + data + "/annotations/instances_val.json", "data.val.images=" + data + "/val",
                "data.synthetic=null", "data.train_scale={long_edge: 64, short_edge: [64, 64]}",
                "data.test_scale={long_edge: 64, short_edge: [64, 64]}", "data.images_per_process=" + imagesPerProcess,
                "data.workers=1", "solver.epochs=" + epochs, "solver.steps=[100]", "runtime.eval_interval=0",
                "runtime.checkpoint_interval=1", "runtime.keep_checkpoints=2", "runtime.log_interval=2");
    }
}
