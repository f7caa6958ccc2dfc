package dev.dwjava.train.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;

import dev.dwjava.train.app.ResultAnalysis;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code dw analyze}: confusion matrix, PR curves and the COCO error breakdown of a results file. */
@Command(name = "analyze", mixinStandardHelpOptions = true, description = {"Analyse a COCO results file against its annotations: confusion matrix (CSV, PNG),",
        "per-class precision-recall curves at IoU 0.5 and 0.5:0.95 (PNG, CSV), COCO error breakdown",
        "C75/C50/Loc/Sim/Oth/BG/FN per class and overall (CSV, printed)."})
public final class AnalyzeCommand implements Callable<Integer> {
    @Option(names = "--results", required = true, description = "COCO results JSON (e.g. dw test's results.bbox.json).")
    Path results;

    @Option(names = "--ann", required = true, description = "COCO instances JSON the results are of.")
    Path ann;

    @Option(names = "--out-dir", required = true, description = "Folder for the CSVs and PNGs.")
    Path outDir;

    @Option(names = "--score-thr", defaultValue = "0.3", description = "Confusion matrix: detections scoring at least this (default ${DEFAULT-VALUE}).")
    double scoreThr;

    @Option(names = "--tp-iou-thr", defaultValue = "0.5", description = "Confusion matrix: IoU of a match (default ${DEFAULT-VALUE}).")
    double iouThr;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        if (!(scoreThr >= 0 && scoreThr <= 1) || !(iouThr > 0 && iouThr <= 1)) {
            throw new IllegalArgumentException("--score-thr must be in [0, 1] and --tp-iou-thr in (0, 1], found " + scoreThr
                    + " and " + iouThr);
        }
        for (Path p : new Path[] {results, ann}) {
            if (!Files.isRegularFile(p)) {
                throw new IllegalArgumentException((p == results ? "--results " : "--ann ") + p + ": file not found");
            }
        }
        if (Files.exists(outDir) && !Files.isDirectory(outDir)) {
            throw new IllegalArgumentException("--out-dir " + outDir + " is a file, not a folder");
        }
        java.io.ByteArrayOutputStream buf = new java.io.ByteArrayOutputStream();
        try (java.io.PrintStream ps = new java.io.PrintStream(buf, true, java.nio.charset.StandardCharsets.UTF_8)) {
            ResultAnalysis.run(ann, results, outDir, scoreThr, iouThr, ps);
        }
        spec.commandLine().getOut().print(buf.toString(java.nio.charset.StandardCharsets.UTF_8));
        spec.commandLine().getOut().flush();
        return 0;
    }
}
