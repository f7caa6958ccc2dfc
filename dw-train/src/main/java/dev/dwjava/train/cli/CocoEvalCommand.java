package dev.dwjava.train.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.dwjava.eval.coco.CocoEval;
import dev.dwjava.eval.coco.CocoEvalResult;
import dev.dwjava.data.coco.CocoJson;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code dw coco-eval}: pycocotools-identical bbox evaluation of a results file, with a per-class table. */
@Command(name = "coco-eval", description = "Evaluate a COCO results file against an instances file (bbox), as pycocotools does.")
public final class CocoEvalCommand implements Callable<Integer> {
    @Option(names = "--ann", required = true, description = "Ground truth: COCO instances JSON.")
    Path ann;

    @Option(names = "--results", required = true, description = "Detections: COCO results JSON (list of image_id, category_id, bbox, score).")
    Path results;

    @Option(names = "--out", description = "Write {\"stats\": [12 numbers], \"per_class\": {...}} here.")
    Path out;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws IOException {
        long t0 = System.nanoTime();
        CocoEvalResult r;
        try {
            // The two files parse at the same time (one streaming pass each).
            java.util.concurrent.CompletableFuture<CocoJson.Instances> gt = java.util.concurrent.CompletableFuture
                    .supplyAsync(() -> {
                        try {
                            return CocoJson.readInstances(ann);
                        } catch (IOException e) {
                            throw new java.io.UncheckedIOException(e);
                        }
                    });
            List<CocoJson.Result> dt = CocoJson.readResults(results);
            r = new CocoEval(gt.join(), dt).run();
        } catch (java.util.concurrent.CompletionException e) {
            Throwable cause = e.getCause() instanceof java.io.UncheckedIOException u ? u.getCause() : e.getCause();
            if (cause instanceof RuntimeException re) {
                throw re;
            }
            throw new IllegalArgumentException(cause.getMessage(), cause);
        } catch (IOException e) {
            throw new IllegalArgumentException(e.getMessage(), e);
        }
        PrintWriter o = spec.commandLine().getOut();
        o.print(r.summary());
        o.println();
        o.print(r.perClassTable());
        o.printf("evaluated in %.2f s%n", (System.nanoTime() - t0) / 1e9);
        if (out != null) {
            Path parent = out.toAbsolutePath().getParent();
            Files.createDirectories(parent);
            new ObjectMapper().writerWithDefaultPrettyPrinter().writeValue(out.toFile(), r.toMap());
        }
        o.flush();
        return 0;
    }
}
