package dev.dwjava.train.cli;

import java.io.PrintWriter;

import dev.dwjava.core.runtime.NativeLoadException;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code dw} command. With no subcommand it runs {@link QuickstartCommand}.
 * Exit codes: 0 success, 1 a check failed, 2 bad usage or bad input.
 */
@Command(name = "dw", mixinStandardHelpOptions = true, versionProvider = VersionCommand.Provider.class,
        description = "Dual Weighting (DW) object detector on libtorch for the JVM.",
        subcommands = {VersionCommand.class, ReferenceCommand.class, SelfCheckCommand.class, PrintConfigCommand.class,
                ForwardCommand.class, DetectCommand.class, BenchCommand.class, CocoEvalCommand.class,
                TrainCommand.class, TestCommand.class, QuickstartCommand.class, MakeSyntheticCommand.class, BrowseCommand.class,
                CommandLine.HelpCommand.class})
public final class DwCli implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    public static void main(String[] args) {
        int code = execute(args);
        if (code != 0) {
            System.exit(code);   // only on failure: under mvn exec:java a normal return lets Maven finish cleanly
        }
    }

    /** Runs the command line and returns the exit code (for tests and embedding). */
    public static int execute(String... args) {
        return commandLine().execute(args);
    }

    static CommandLine commandLine() {
        CommandLine cl = new CommandLine(new DwCli());
        cl.setParameterExceptionHandler((ex, args) -> {
            // Bad usage: the problem, picocli's suggestion if any, then the usage of the command concerned.
            CommandLine cmd = ex.getCommandLine();
            cmd.getErr().println(ex.getMessage());
            CommandLine.UnmatchedArgumentException.printSuggestions(ex, cmd.getErr());
            cmd.usage(cmd.getErr());
            return 2;
        });
        cl.setExecutionExceptionHandler((ex, cmd, parseResult) -> {
            // Bad input reaches the user as one clear line; anything else keeps its stack trace.
            if (ex instanceof IllegalArgumentException || ex instanceof NativeLoadException) {
                cmd.getErr().println("dw " + cmd.getCommandName() + ": " + ex.getMessage());
                return 2;
            }
            throw ex;
        });
        return cl;
    }

    @Override
    public void run() {
        PrintWriter err = spec.commandLine().getErr();
        err.println("dw: no subcommand given; running `dw quickstart` (see `dw --help` for all commands).");
        err.flush();
        int code = commandLine().execute("quickstart");
        if (code != 0) {
            throw new CommandLine.ExecutionException(spec.commandLine(), "quickstart failed");
        }
    }
}
