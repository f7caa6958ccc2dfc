package dev.dwjava.train.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.dwjava.core.runtime.ComputeDevice;
import dev.dwjava.core.runtime.Precision;
import dev.dwjava.core.runtime.Torch;
import dev.dwjava.train.bench.BenchStats;
import dev.dwjava.train.bench.DataBench;
import dev.dwjava.train.bench.InferenceBench;
import dev.dwjava.train.bench.TrainStepBench;
import dev.dwjava.train.config.DwConfig;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code dw bench inference|train-step|data|allreduce}: the benchmarks of {@code dev.dwjava.train.bench}, their figures
 * printed as JSON (medians after warm-up, peak resident memory of the process).
 */
@Command(name = "bench", description = "Benchmarks of the model: inference and training-step time and peak memory (JSON).",
        subcommands = {BenchCommand.Inference.class, BenchCommand.TrainStep.class, BenchCommand.Data.class,
                BenchAllreduceCommand.class, BenchServeCommand.class})
public final class BenchCommand {

    /** The options of the model benchmarks. */
    abstract static class ModelBench {
        @Mixin
        ConfigOptions config;

        @Mixin
        DeviceOption device;

        @Option(names = "--batch", defaultValue = "1", description = "Images per batch (default ${DEFAULT-VALUE}).")
        int batch;

        @Option(names = "--size", defaultValue = "800x1216", description = "Input HxW, multiples of 32 (default ${DEFAULT-VALUE}).")
        String size;

        @Option(names = "--iters", defaultValue = "5", description = "Measured iterations after 2 warm-up ones (default ${DEFAULT-VALUE}).")
        int iters;

        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        DwConfig loadConfig() throws java.io.IOException {
            if (batch <= 0 || iters <= 0) {
                throw new IllegalArgumentException("--batch and --iters must be positive, found " + batch + " and " + iters);
            }
            Torch.init();
            return config.load().config();
        }

        void print(Map<String, Object> figures) throws java.io.IOException {
            Map<String, Object> r = new LinkedHashMap<>();
            r.put("config", config.config.toString());
            r.putAll(figures);
            printJson(spec, BenchStats.withProcessInfo(r));
        }
    }

    static void printJson(CommandLine.Model.CommandSpec spec, Map<String, Object> r) throws java.io.IOException {
        spec.commandLine().getOut().println(new ObjectMapper().writerWithDefaultPrettyPrinter().writeValueAsString(r));
        spec.commandLine().getOut().flush();
    }

    /** {@code dw bench inference}: forward and post-processing. */
    @Command(name = "inference", description = "Forward + post-processing time per batch and peak RSS.")
    static final class Inference extends ModelBench implements Callable<Integer> {
        @Option(names = "--weights", description = "Checkpoint to load (default: random initialisation).")
        Path weights;

        @Override
        public Integer call() throws Exception {
            DwConfig cfg = loadConfig();
            print(InferenceBench.run(cfg, weights, device.parse(), batch, BenchStats.parseSize(size), iters));
            return 0;
        }
    }

    /** {@code dw bench train-step}: forward, loss, backward and optimizer step on random images and boxes. */
    @Command(name = "train-step", description = "Median training-step time (data excluded), its split and peak RSS.")
    static final class TrainStep extends ModelBench implements Callable<Integer> {
        @Option(names = "--gts", defaultValue = "7", description = "Ground-truth boxes per image (default ${DEFAULT-VALUE}).")
        int gts;

        @Option(names = "--amp", arity = "0..1", fallbackValue = "auto", paramLabel = "bf16|fp16",
                description = "Mixed-precision steps, timed alternately with fp32 ones; prints both and the ratio.")
        String amp;

        @Override
        public Integer call() throws Exception {
            DwConfig cfg = loadConfig();
            ComputeDevice d = device.parse();
            print(TrainStepBench.run(cfg, d, batch, BenchStats.parseSize(size), iters, gts, Precision.parse(amp, d)));
            return 0;
        }
    }

    /** {@code dw bench data}: decode + resize + flip + normalise + collate throughput of the training loader. */
    @Command(name = "data", description = "Training data pipeline throughput on 640×480 JPEGs (→ 1067×800), images/s as JSON.")
    static final class Data implements Callable<Integer> {
        @Option(names = "--images", defaultValue = "96", description = "JPEGs to generate (default ${DEFAULT-VALUE}).")
        int images;

        @Option(names = "--workers", defaultValue = "2", description = "Loader threads (default ${DEFAULT-VALUE}).")
        int workers;

        @Option(names = "--dir", description = "Where to write the images (default: a temporary folder).")
        Path dir;

        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() throws Exception {
            Torch.init();
            Path root = dir != null ? dir : Files.createTempDirectory("dw-bench-data");
            Files.createDirectories(root);
            printJson(spec, DataBench.run(root, images, workers));
            return 0;
        }
    }
}
