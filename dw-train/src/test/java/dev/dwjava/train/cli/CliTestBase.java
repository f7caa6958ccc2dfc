package dev.dwjava.train.cli;

import java.io.PrintWriter;
import java.io.StringWriter;

import picocli.CommandLine;

/** Runs the {@code dw} command line in the test's JVM with its standard output and error captured. */
abstract class CliTestBase {
    protected final StringWriter out = new StringWriter(), err = new StringWriter();

    /** {@code dw args...}: the exit code; what it printed is in {@link #out} and {@link #err}. */
    protected int run(String... args) {
        CommandLine cl = DwCli.commandLine();
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        return cl.execute(args);
    }
}
