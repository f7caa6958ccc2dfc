package dev.dwjava.train.cli;

import java.io.PrintWriter;
import java.util.concurrent.Callable;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.dwjava.core.reference.BundledCases;
import dev.dwjava.core.reference.Comparison;
import dev.dwjava.core.reference.LossCaseRunner;
import dev.dwjava.core.reference.ReferenceCase;
import org.bytedeco.pytorch.global.torch.ScalarType;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * {@code dw selfcheck}: loads libtorch and runs the DW loss on the bundled reference case of the original
 * implementation in float64 and float32, printing the losses and the differences.
 */
@Command(name = "selfcheck", description = "Load libtorch and check the DW loss against the original implementation's numbers.")
public final class SelfCheckCommand implements Callable<Integer> {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        for (String line : VersionCommand.lines()) {
            out.println(line);
        }
        ReferenceCase c = BundledCases.load(BundledCases.LOSS_EXAMPLE);
        boolean ok = true;
        LossCaseRunner runner = new LossCaseRunner();
        out.printf("%nDW loss on the original implementation's example (%s):%n", c.root().path("description").asText());
        out.printf("  %-8s %14s %14s %14s %14s   %s%n", "dtype", "loss_cls_pos", "loss_loc", "loss_cls_neg", "total", "vs original");
        out.printf("  %-8s %14.9f %14.9f %14.9f %14.9f%n", "original", c.expected().get("loss_cls_pos").asDouble(),
                c.expected().get("loss_loc").asDouble(), c.expected().get("loss_cls_neg").asDouble(),
                c.expected().get("loss_total").asDouble());
        for (ScalarType type : new ScalarType[] {ScalarType.Double, ScalarType.Float}) {
            long start = System.nanoTime();
            ObjectNode got = runner.run(c, type);
            double ms = (System.nanoTime() - start) / 1e6;
            Comparison cmp = Comparison.of(c.expected(), got);
            double tol = runner.tolerance(type);
            ok &= cmp.within(tol);
            out.printf("  %-8s %14.9f %14.9f %14.9f %14.9f   max rel diff %.2e (losses and gradients) %s, %.0f ms%n",
                    type == ScalarType.Double ? "float64" : "float32", got.get("loss_cls_pos").asDouble(),
                    got.get("loss_loc").asDouble(), got.get("loss_cls_neg").asDouble(), got.get("loss_total").asDouble(),
                    cmp.maxRel(), cmp.within(tol) ? "OK" : "FAILED", ms);
        }
        out.println(ok ? "\nselfcheck passed" : "\nselfcheck FAILED");
        return ok ? 0 : 1;
    }
}
