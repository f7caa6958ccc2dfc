package dev.dwjava.train.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.dwjava.core.reference.CaseRunner;
import dev.dwjava.core.reference.Comparison;
import dev.dwjava.core.reference.ReferenceCase;
import dev.dwjava.core.runtime.Torch;
import dev.dwjava.model.reference.ModelCaseRunners;
import org.bytedeco.pytorch.global.torch.ScalarType;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code dw reference --case FILE --out OUT.json}: runs our implementation on a reference case of the original
 * implementation and reports the largest differences against its {@code expected} block.
 */
@Command(name = "reference", description = {
    "Run dw-java on a reference case produced by the original implementation (the layout of testdata/dw_reference),",
    "write what we computed in the layout of the case's 'expected' block, and compare.",
    "Exit code 1 when a difference exceeds the tolerance."})
public final class ReferenceCommand implements Callable<Integer> {
    @Option(names = "--case", required = true, description = "Case file (JSON).")
    Path caseFile;

    @Option(names = "--out", description = "Where to write what we computed (JSON).")
    Path out;

    @Option(names = "--dtype", description = "Compute in float32 or float64 (default: the case's own dtype).")
    String dtype;

    @Option(names = "--tolerance", description = "Largest allowed relative difference (default: 1e-9 in float64, 1e-4 in float32, 2e-7 for post-processing).")
    Double tolerance;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws IOException {
        Torch.init();
        ReferenceCase c = ReferenceCase.read(caseFile);
        ScalarType type = dtype == null ? c.dtype() : parseDtype(dtype);
        CaseRunner runner = ModelCaseRunners.all().get(c.kind());
        ObjectNode got = runner.run(c, type);
        if (out != null) {
            Path parent = out.toAbsolutePath().getParent();
            if (parent != null) {
                Files.createDirectories(parent);
            }
            new ObjectMapper().writerWithDefaultPrettyPrinter().writeValue(out.toFile(), got);
        }
        PrintWriter o = spec.commandLine().getOut();
        JsonNode expected = c.expected();
        if (expected == null) {
            o.println(caseFile + ": no 'expected' block; wrote our results" + (out == null ? "" : " to " + out));
            return 0;
        }
        double tol = tolerance != null ? tolerance : runner.tolerance(type);
        Comparison cmp = Comparison.of(expected, got);
        boolean ok = cmp.within(tol);
        o.printf("%s (%s case, %s): %s -> %s (tolerance %.0e relative)%n", caseFile.getFileName(), c.kind(),
                type == ScalarType.Double ? "float64" : "float32", cmp, ok ? "OK" : "FAILED", tol);
        return ok ? 0 : 1;
    }

    static ScalarType parseDtype(String s) {
        switch (s) {
            case "float32": return ScalarType.Float;
            case "float64": return ScalarType.Double;
            default: throw new IllegalArgumentException("--dtype must be float32 or float64, found '" + s + "'");
        }
    }
}
