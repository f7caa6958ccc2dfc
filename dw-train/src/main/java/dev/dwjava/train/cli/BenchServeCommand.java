package dev.dwjava.train.cli;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

import dev.dwjava.core.runtime.ComputeDevice;
import dev.dwjava.core.runtime.Torch;
import dev.dwjava.kernels.Ops;
import dev.dwjava.model.inference.Detector;
import dev.dwjava.serve.DetectorAdapter;
import dev.dwjava.serve.ServeBench;
import dev.dwjava.serve.ServeOptions;
import dev.dwjava.serve.TinyModel;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code dw bench serve}: the model server on loopback under closed-loop load, batching on and off, and the resident
 * memory around a soak of many requests (dw-serve's {@link ServeBench}).
 */
@Command(name = "serve", description = {"Serving throughput and p50/p99 latency at several concurrencies, batching on and off,",
        "and RSS before and after a soak (loopback only; bounded by --requests and --max-seconds)."})
final class BenchServeCommand implements Callable<Integer> {
    @Option(names = "--config", description = "Config file (YAML); default: a tiny random ResNet-18 model at 128 px.")
    Path config;

    @Option(names = "--weights", description = "Checkpoint (.pth), with --config.")
    Path weights;

    @Option(names = "--image", description = "Request image (default: a generated 160x120 PNG).")
    Path image;

    @Option(names = "--concurrency", split = ",", defaultValue = "1,8,32", description = "Client concurrencies (default ${DEFAULT-VALUE}).")
    List<Integer> concurrency = new ArrayList<>();

    @Option(names = "--requests", defaultValue = "400", description = "Requests per case (default ${DEFAULT-VALUE}).")
    int requests;

    @Option(names = "--max-seconds", defaultValue = "30", description = "Time limit per case (default ${DEFAULT-VALUE}).")
    double maxSeconds;

    @Option(names = "--soak-requests", defaultValue = "10000", description = "Requests of the RSS soak, 0 for none (default ${DEFAULT-VALUE}).")
    int soakRequests;

    @Option(names = "--soak-max-seconds", defaultValue = "600", description = "Time limit of the soak (default ${DEFAULT-VALUE}).")
    double soakMaxSeconds;

    @Option(names = "--max-batch", defaultValue = "8", description = "max_batch with batching on (default ${DEFAULT-VALUE}).")
    int maxBatch;

    @Option(names = "--max-wait-ms", defaultValue = "5", description = "max_wait_ms with batching on (default ${DEFAULT-VALUE}).")
    int maxWaitMs;

    @Option(names = "--device", defaultValue = "cpu", description = "cpu, cuda or cuda:N (default ${DEFAULT-VALUE}).")
    String device;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        if ((config == null) != (weights == null)) {
            throw new IllegalArgumentException("give --config and --weights together, or neither for the tiny model");
        }
        if (requests < 1 || !(maxSeconds > 0) || soakRequests < 0 || concurrency.stream().anyMatch(c -> c < 1 || c > 256)) {
            throw new IllegalArgumentException("--requests and --max-seconds must be positive, --soak-requests not negative,"
                    + " --concurrency in [1, 256]");
        }
        Torch.init();
        Path cfg = config, w = weights;
        if (cfg == null) {
            TinyModel.ModelFiles tiny = TinyModel.write(Files.createTempDirectory("dw-bench-serve"));
            cfg = tiny.config();
            w = tiny.weights();
        }
        Detector detector = Detector.load(cfg, w, ComputeDevice.parse(device), Ops.forDevice(ComputeDevice.parse(device)).nms());
        if (config == null) {   // loaded: the tiny model's files are not needed any more
            Files.delete(cfg);
            Files.delete(w);
            Files.delete(cfg.getParent());
        }
        byte[] body = image != null ? Files.readAllBytes(image) : ServeBench.samplePng(160, 120);
        ServeOptions options = ServeOptions.DEFAULT.withBatching(maxBatch, maxWaitMs);
        ServeBench bench = new ServeBench(new DetectorAdapter(detector), options, body);
        PrintWriter out = spec.commandLine().getOut();
        out.printf("dw bench serve: %s, %d-byte request, %d CPU threads for libtorch; %d requests or %.0f s per case%n",
                config == null ? "tiny random ResNet-18 (width 16, 128 px)" : cfg.toString(), body.length, Torch.init().threads(),
                requests, maxSeconds);
        out.flush();
        ServeBench.printHeader(out);
        for (boolean batching : new boolean[] {false, true}) {
            for (int c : concurrency) {
                ServeBench.printRow(out, bench.measure(batching, c, requests, maxSeconds));
            }
        }
        if (soakRequests > 0) {
            ServeBench.Soak s = bench.soak(8, soakRequests, soakMaxSeconds);
            out.printf("soak: %d requests (%d failed) at concurrency 8, batching on, in %.1f s; VmRSS %d MiB before, %d MiB after (%+d MiB)%n",
                    s.requests(), s.failed(), s.seconds(), s.rssBeforeKb() / 1024, s.rssAfterKb() / 1024,
                    (s.rssAfterKb() - s.rssBeforeKb()) / 1024);
        }
        out.flush();
        return 0;
    }
}
