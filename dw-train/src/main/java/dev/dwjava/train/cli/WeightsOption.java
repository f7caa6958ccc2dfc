package dev.dwjava.train.cli;

import java.nio.file.Path;

import picocli.CommandLine.Option;

/** {@code --weights FILE}: a checkpoint to run. */
final class WeightsOption {
    @Option(names = "--weights", required = true,
            description = "Checkpoint (.pth): one of ours or an official mmdetection DW one.")
    Path weights;
}
