package dev.dwjava.train.cli;

import java.io.PrintWriter;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code dw} command. With no subcommand it runs {@link QuickstartCommand}.
 * Exit codes: 0 success, 1 a check failed (or an internal error), 2 bad usage or bad input, 3 a distributed peer
 * died or timed out. {@code --debug} shows
 * stack traces.
 */
@Command(name = "dw", mixinStandardHelpOptions = true, versionProvider = VersionCommand.Provider.class,
        description = {"Dual Weighting (DW) object detector on libtorch for the JVM.",
                "Failures print one line; add --debug anywhere for the stack trace."},
        subcommands = {VersionCommand.class, ReferenceCommand.class, SelfCheckCommand.class, PrintConfigCommand.class,
                ForwardCommand.class, ExportCommand.class, DetectCommand.class, ServeCommand.class, BenchCommand.class, CocoEvalCommand.class,
                TrainCommand.class, TestCommand.class, QuickstartCommand.class, MakeSyntheticCommand.class, BrowseCommand.class,
                AnalyzeCommand.class, AnalyzeLogsCommand.class, FlopsCommand.class,
                CommandLine.HelpCommand.class})
public final class DwCli implements java.util.concurrent.Callable<Integer> {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    private final boolean debug;

    private DwCli(boolean debug) {
        this.debug = debug;
    }

    public static void main(String[] args) {
        int code = execute(args);
        if (code != 0) {
            System.exit(code);   // only on failure: under mvn exec:java a normal return lets Maven finish cleanly
        }
    }

    /**
     * Runs the command line and returns the exit code (for tests and embedding). {@code --debug} anywhere adds the
     * stack trace to a failure's one-line message.
     */
    public static int execute(String... args) {
        java.util.List<String> rest = new java.util.ArrayList<>(java.util.List.of(args));
        boolean debug = rest.remove("--debug");
        return commandLine(debug).execute(rest.toArray(new String[0]));
    }

    static CommandLine commandLine() {
        return commandLine(false);
    }

    static CommandLine commandLine(boolean debugFlag) {
        CommandLine cl = new CommandLine(new DwCli(debugFlag));
        cl.setParameterExceptionHandler((ex, args) -> {
            // Bad usage: the problem, picocli's suggestion if any, then the usage of the command concerned.
            CommandLine cmd = ex.getCommandLine();
            cmd.getErr().println(ex.getMessage());
            CommandLine.UnmatchedArgumentException.printSuggestions(ex, cmd.getErr());
            cmd.usage(cmd.getErr());
            return 2;
        });
        cl.setExecutionExceptionHandler((ex, cmd, parseResult) -> {
            // Every failure reaches the user as one line (ErrorBoundary); the stack trace only when asked for.
            ErrorBoundary.Outcome o = ErrorBoundary.classify(ex);
            cmd.getErr().println("dw " + cmd.getCommandName() + ": " + o.message());
            if (ErrorBoundary.debug(debugFlag)) {
                ex.printStackTrace(cmd.getErr());
            }
            cmd.getErr().flush();
            return o.exitCode();
        });
        return cl;
    }

    @Override
    public Integer call() {
        PrintWriter err = spec.commandLine().getErr();
        err.println("dw: no subcommand given; running `dw quickstart` (see `dw --help` for all commands).");
        err.flush();
        return commandLine(debug).execute("quickstart");
    }
}
