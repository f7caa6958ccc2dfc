package dev.dwjava.train.cli;

import java.io.PrintWriter;

import picocli.CommandLine;

/** The command line with its error stream captured, for tests of other packages. */
public final class DwCliAccess {
    private DwCliAccess() {}

    public static CommandLine commandLine(PrintWriter err) {
        CommandLine cl = DwCli.commandLine();
        cl.setErr(err);
        return cl;
    }
}
