package dev.dwjava.train.cli;

import java.nio.file.Path;
import java.util.concurrent.Callable;

import dev.dwjava.core.runtime.Torch;
import dev.dwjava.kernels.Ops;
import dev.dwjava.model.inference.Detector;
import dev.dwjava.serve.DetectorAdapter;
import dev.dwjava.serve.ModelServer;
import dev.dwjava.serve.ServeOptions;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code dw serve}: the model behind an HTTP endpoint with dynamic batching (dw-serve's {@link ModelServer}). */
@Command(name = "serve", description = {"Serve a model over HTTP: POST /v1/detect (image bytes or multipart), GET /healthz,",
        "GET /metrics (Prometheus), and a page at / to drop an image on. Concurrent requests share one forward."})
public final class ServeCommand implements Callable<Integer> {
    @Option(names = "--config", required = true, description = "Config file (YAML).")
    Path config;

    @Mixin
    WeightsOption weights;

    @Option(names = "--port", defaultValue = "8080", description = "TCP port, 0 for any free one (default ${DEFAULT-VALUE}).")
    int port;

    @Option(names = "--host", defaultValue = "127.0.0.1",
            description = "Address to listen on; 0.0.0.0 for all interfaces (default ${DEFAULT-VALUE}: this machine only).")
    String host;

    @Option(names = "--max-batch", defaultValue = "8", description = "Most requests in one forward; 1 turns batching off (default ${DEFAULT-VALUE}).")
    int maxBatch;

    @Option(names = "--max-wait-ms", defaultValue = "5", description = "Longest a request waits for others to join its batch (default ${DEFAULT-VALUE}).")
    int maxWaitMs;

    @Option(names = "--queue-capacity", defaultValue = "64", description = "Images waiting for the model; more get 503 at once (default ${DEFAULT-VALUE}).")
    int queueCapacity;

    @Option(names = "--max-body-bytes", defaultValue = "16777216", description = "Largest request body; larger get 413 (default ${DEFAULT-VALUE}).")
    long maxBodyBytes;

    @Option(names = "--max-pixels", defaultValue = "16777216", description = "Largest image, width x height; larger get 413 (default ${DEFAULT-VALUE}).")
    long maxPixels;

    @Option(names = "--threads", defaultValue = "16", description = "HTTP threads that read, decode and answer (default ${DEFAULT-VALUE}).")
    int threads;

    @Mixin
    DeviceOption device;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    /** The server's settings from the options (checked before the model loads). */
    ServeOptions options() {
        return new ServeOptions(host, port, maxBatch, maxWaitMs, queueCapacity, maxBodyBytes, maxPixels, threads);
    }

    @Override
    public Integer call() throws Exception {
        ServeOptions options = options();
        Torch.init();
        try (Detector detector = Detector.load(config, weights.weights, device.parse(), Ops.forDevice(device.parse()).nms())) {
            ModelServer.serve(new DetectorAdapter(detector), options, spec.commandLine().getOut());
        }
        return 0;
    }
}
