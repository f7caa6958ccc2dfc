package dev.dwjava.train.cli;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

import dev.dwjava.train.app.LogAnalysis;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code dw analyze-logs plot-curve|cal-train-time}: mmdetection's analyze_logs.py on metrics.jsonl files. */
@Command(name = "analyze-logs", mixinStandardHelpOptions = true, description = "Curves and iteration times of training logs (metrics.jsonl), as mmdetection's analyze_logs.py.",
        subcommands = {AnalyzeLogsCommand.PlotCurve.class, AnalyzeLogsCommand.CalTrainTime.class, CommandLine.HelpCommand.class})
public final class AnalyzeLogsCommand implements Callable<Integer> {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        spec.commandLine().getErr().println("analyze-logs needs a subcommand: plot-curve or cal-train-time");
        spec.commandLine().usage(spec.commandLine().getErr());
        return 2;
    }

    /** {@code plot-curve}: chosen keys of one or more logs in one PNG. */
    @Command(name = "plot-curve", mixinStandardHelpOptions = true, description = {"Plot keys (loss terms, lr, grad_norm, time, bbox_mAP, ...) of metrics.jsonl files",
            "against the iteration into a PNG; one legend entry per file and key; val keys on a right axis."})
    public static final class PlotCurve implements Callable<Integer> {
        @Parameters(arity = "1..*", paramLabel = "METRICS_JSONL", description = "metrics.jsonl files of training runs.")
        List<Path> files;

        @Option(names = "--keys", arity = "1..*", defaultValue = "loss", split = ",",
                description = "Keys to plot (default ${DEFAULT-VALUE}); train keys against global_iter, val keys against iter.")
        List<String> keys = new ArrayList<>();

        @Option(names = "--legend", arity = "1..*", description = "Legend names, one per file and key (files outer).")
        List<String> legend = new ArrayList<>();

        @Option(names = "--title", description = "Chart title.")
        String title;

        @Option(names = "--out", required = true, description = "Output PNG.")
        Path out;

        @Option(names = "--size", defaultValue = "1000x600", description = "WIDTHxHEIGHT in pixels (default ${DEFAULT-VALUE}).")
        String size;

        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() throws Exception {
            if (!size.matches("\\d{2,5}x\\d{2,5}")) {
                throw new IllegalArgumentException("--size must be WIDTHxHEIGHT, found " + size);
            }
            String[] wh = size.split("x");
            List<LogAnalysis.Curve> curves = LogAnalysis.curves(files, keys, legend);
            LogAnalysis.plot(curves, title, Integer.parseInt(wh[0]), Integer.parseInt(wh[1]), out);
            var o = spec.commandLine().getOut();
            for (LogAnalysis.Curve c : curves) {
                o.printf("%s: %d points%n", c.legend(), c.x().length);
            }
            o.println("plotted to " + out);
            o.flush();
            return 0;
        }
    }

    /** {@code cal-train-time}: average iteration time per log. */
    @Command(name = "cal-train-time", mixinStandardHelpOptions = true, description = {"Average iteration time of each metrics.jsonl: slowest and fastest epoch,",
            "std over epochs; each epoch's first log record (warm-up) left out unless --include-outliers."})
    public static final class CalTrainTime implements Callable<Integer> {
        @Parameters(arity = "1..*", paramLabel = "METRICS_JSONL", description = "metrics.jsonl files of training runs.")
        List<Path> files;

        @Option(names = "--include-outliers", description = "Keep each epoch's first record.")
        boolean includeOutliers;

        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() throws Exception {
            var o = spec.commandLine().getOut();
            for (Path f : files) {
                o.println(LogAnalysis.trainTime(f, includeOutliers).report(f));
            }
            o.flush();
            return 0;
        }
    }
}
