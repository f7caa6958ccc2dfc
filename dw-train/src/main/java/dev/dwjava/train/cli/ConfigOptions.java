package dev.dwjava.train.cli;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import dev.dwjava.train.config.DwConfig;
import picocli.CommandLine.Option;

/** {@code --config FILE [--cfg-options key=value ...]}: the options of every command that reads a config. */
final class ConfigOptions {
    @Option(names = "--config", required = true, description = "Config file (YAML).")
    Path config;

    @Option(names = "--cfg-options", arity = "1..*", paramLabel = "KEY=VALUE",
            description = "Config overrides, e.g. solver.lr=0.02 data.workers=4.")
    List<String> overrides = new ArrayList<>();

    /** Reads the config with its overrides applied. */
    DwConfig.Loaded load() throws IOException {
        return DwConfig.load(config, overrides);
    }
}
