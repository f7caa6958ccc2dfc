package dev.dwjava.train.cli;

import java.nio.file.Path;
import java.util.concurrent.Callable;

import dev.dwjava.data.synthetic.SyntheticCoco;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code dw make-synthetic}: writes the synthetic COCO dataset of shapes. */
@Command(name = "make-synthetic", description = "Generate a COCO-format dataset of shapes (JPEG + instances_{train,val}.json).")
public final class MakeSyntheticCommand implements Callable<Integer> {
    @Option(names = "--out", required = true, description = "Output folder.")
    Path out;

    @Option(names = "--train", defaultValue = "800", description = "Training images (default ${DEFAULT-VALUE}).")
    int train;

    @Option(names = "--val", defaultValue = "100", description = "Validation images (default ${DEFAULT-VALUE}).")
    int val;

    @Option(names = "--size", defaultValue = "128", description = "Image side in pixels (default ${DEFAULT-VALUE}).")
    int size;

    @Option(names = "--seed", defaultValue = "2022", description = "Seed (default ${DEFAULT-VALUE}).")
    long seed;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        long t0 = System.nanoTime();
        SyntheticCoco.generate(out, train, val, size, seed);
        spec.commandLine().getOut().printf("wrote %d train and %d val images to %s in %.1f s%n", train, val, out,
                (System.nanoTime() - t0) / 1e9);
        spec.commandLine().getOut().flush();
        return 0;
    }
}
