package dev.dwjava.train.engine;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

import dev.dwjava.core.runtime.NativeMemory;

/**
 * Every {@code interval} iterations: one console line in mmdetection's shape (epoch, iteration, lr, ETA, step and
 * data time, memory, each loss term), one {@code train} record in {@code metrics.jsonl} (also with the gradient norm
 * and, on a GPU, the memory its tensors hold), and a redraw of {@code loss_curve.png}. Times, losses and the gradient
 * norm are averages over the interval. The {@code val} records of {@code metrics.jsonl} add their bbox_mAP to the
 * curve.
 */
public final class ProgressLogger implements TrainHook {
    private final int interval;
    private final PrintStream console;
    private final MetricsLog metrics;
    private final Path plotFile;
    private final LossCurvePlot plot = new LossCurvePlot();
    private double sumStep, sumData, sumCls, sumLoc, sumNeg, sumGradNorm;
    private int count, normCount, skipped;
    private long startNanos;
    private long startIter;
    private final boolean interactive = System.console() != null;

    public ProgressLogger(int interval, PrintStream console, MetricsLog metrics, Path plotFile) {
        this.interval = Math.max(1, interval);
        this.console = console;
        this.metrics = metrics;
        this.plotFile = plotFile;
        metrics.addListener((mode, fields) -> {
            if ("val".equals(mode) && fields.get("bbox_mAP") instanceof Number ap && fields.get("iter") instanceof Number it) {
                plot.addVal(it.longValue(), ap.doubleValue());
                drawPlot();
            }
        });
    }

    @Override
    public void beforeTrain(Trainer t) {
        startNanos = System.nanoTime();
        startIter = t.iteration();
    }

    @Override
    public void afterStep(Trainer t, StepResult r) {
        plot.add(r);
        sumStep += r.stepMs();
        sumData += r.dataMs();
        sumCls += r.clsPos();
        sumLoc += r.loc();
        sumNeg += r.clsNeg();
        if (r.skipped()) {
            // An fp16 overflow: the scaler lowered the scale; the infinite norm stays out of the window's average.
            skipped++;
            console.printf("%sIteration %d: fp16 gradients overflowed, step skipped; loss scale now %.0f%n",
                    interactive ? "\r" : "", r.iter() + 1, t.state().scaler() != null ? t.state().scaler().scale() : 0.0);
        } else {
            sumGradNorm += r.gradNorm();
            normCount++;
        }
        count++;
        long inEpoch = r.iter() + 1 - (long) r.epoch() * t.itersPerEpoch();
        // Windows count from the epoch's start (not the run's), so a run resumed mid-epoch logs the same iterations.
        if (inEpoch % interval != 0 && inEpoch != t.itersPerEpoch()) {
            if (interactive) {
                // Between log lines, an in-place progress bar on a terminal.
                int filled = (int) (30 * inEpoch / Math.max(1, t.itersPerEpoch()));
                console.printf("\r[%-30s] %d/%d  loss %.4f", "=".repeat(filled), inEpoch, t.itersPerEpoch(), r.total());
                console.flush();
            }
            return;
        }
        if (interactive) {
            console.print("\r" + " ".repeat(60) + "\r");
        }
        double done = r.iter() + 1 - startIter;
        double secPerIter = (System.nanoTime() - startNanos) / 1e9 / Math.max(1, done);
        long remaining = (long) t.epochs() * t.itersPerEpoch() - (r.iter() + 1);
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("epoch", r.epoch() + 1);
        m.put("iter", inEpoch);
        m.put("global_iter", r.iter() + 1);
        m.put("lr", r.lr());
        m.put("loss_cls_pos", sumCls / count);
        m.put("loss_loc", sumLoc / count);
        m.put("loss_cls_neg", sumNeg / count);
        m.put("loss", (sumCls + sumLoc + sumNeg) / count);
        m.put("time", sumStep / count / 1000);
        m.put("data_time", sumData / count / 1000);
        if (normCount > 0) {
            m.put("grad_norm", sumGradNorm / normCount);   // (absent when every step of the window was skipped)
        }
        if (r.lossScale() > 0) {
            m.put("loss_scale", r.lossScale());
            m.put("skipped_steps", skipped);
        }
        m.put("memory_mb", NativeMemory.residentBytes() >> 20);
        long cuda = CudaMemory.allocatedBytes(t.model().device());
        if (cuda >= 0) {
            m.put("cuda_allocated_mb", cuda >> 20);
        }
        m.put("heap_mb", (Runtime.getRuntime().totalMemory() - Runtime.getRuntime().freeMemory()) >> 20);
        m.put("eta_s", (long) (remaining * secPerIter));
        metrics.write("train", m);
        console.printf("Epoch [%d/%d][%d/%d]  lr: %.3e, eta: %s, time: %.3f, data_time: %.3f, memory: %d MB, "
                        + "loss_cls_pos: %.4f, loss_loc: %.4f, loss_cls_neg: %.4f, loss: %.4f%n",
                r.epoch() + 1, t.epochs(), inEpoch, t.itersPerEpoch(), r.lr(), eta(remaining * secPerIter),
                sumStep / count / 1000, sumData / count / 1000, NativeMemory.residentBytes() >> 20,
                sumCls / count, sumLoc / count, sumNeg / count, (sumCls + sumLoc + sumNeg) / count);
        sumStep = sumData = sumCls = sumLoc = sumNeg = sumGradNorm = 0;
        count = normCount = skipped = 0;
        drawPlot();
    }

    @Override
    public void afterTrain(Trainer t, Throwable failure) {
        drawPlot();
    }

    private void drawPlot() {
        if (plotFile == null || plot.size() == 0) {
            return;
        }
        try {
            plot.write(plotFile, "DW training loss (" + metrics.file().getParent().getFileName() + ")");
        } catch (IOException e) {
            console.println("warning: cannot write " + plotFile + ": " + e.getMessage());
        }
    }

    static String eta(double seconds) {
        long s = (long) seconds;
        long d = s / 86400, h = s % 86400 / 3600, m = s % 3600 / 60, sec = s % 60;
        return (d > 0 ? d + " day" + (d > 1 ? "s" : "") + ", " : "") + String.format("%d:%02d:%02d", h, m, sec);
    }
}
