package dev.dwjava.train.cli;

import java.nio.file.Path;
import java.util.concurrent.Callable;

import dev.dwjava.data.coco.CocoDataset;
import dev.dwjava.train.app.GroundTruthPictures;
import dev.dwjava.train.config.DataConfig;
import dev.dwjava.train.config.DwConfig;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code dw browse}: draws the ground truth of a config's dataset, to check annotations and class names by eye. */
@Command(name = "browse", description = "Draw the ground-truth boxes and class names of a config's train or val images.")
public final class BrowseCommand implements Callable<Integer> {
    @Mixin
    ConfigOptions config;

    @Option(names = "--split", defaultValue = "val", description = "train or val (default ${DEFAULT-VALUE}).")
    String split;

    @Option(names = "--count", defaultValue = "8", description = "Images to draw (default ${DEFAULT-VALUE}).")
    int count;

    @Option(names = "--out", required = true, description = "Output folder for the PNGs.")
    Path out;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        if (count <= 0) {
            throw new IllegalArgumentException("--count must be positive, found " + count);
        }
        DwConfig cfg = config.load().config();
        DataConfig.Split s = switch (split) {
            case "train" -> cfg.data().train();
            case "val" -> cfg.data().val();
            default -> throw new IllegalArgumentException("--split must be train or val, found '" + split + "'");
        };
        CocoDataset ds = CocoDataset.load(Path.of(s.annotations()), Path.of(s.images()), split.equals("train"), cfg.data().linksOutsideRoot());
        int n = GroundTruthPictures.write(ds, count, cfg.data().ignoreOrientation(), out);
        spec.commandLine().getOut().println(ds + "\ndrew " + n + " images to " + out);
        spec.commandLine().getOut().flush();
        return 0;
    }
}
