package dev.dwjava.train.cli;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import dev.dwjava.train.config.DwConfig;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code dw print-config CONFIG [--cfg-options k=v ...]}: the merged, validated config as YAML. */
@Command(name = "print-config", description = "Print a config after inheritance and overrides (validated).")
public final class PrintConfigCommand implements Runnable {
    @Parameters(index = "0", description = "Config file (YAML).")
    Path config;

    @Option(names = "--cfg-options", arity = "1..*", description = "Overrides, e.g. solver.lr=0.02 data.workers=4.")
    List<String> overrides = new ArrayList<>();

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().getOut().print(DwConfig.load(config, overrides).yaml());
        spec.commandLine().getOut().flush();
    }
}
