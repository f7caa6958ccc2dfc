package dev.dwjava.train.cli;

import dev.dwjava.core.runtime.ComputeDevice;
import picocli.CommandLine.Option;

/** {@code --device cpu|cuda|cuda:N}. */
final class DeviceOption {
    @Option(names = "--device", defaultValue = "cpu", description = "cpu, cuda or cuda:N (default ${DEFAULT-VALUE}).")
    String device;

    ComputeDevice parse() {
        return ComputeDevice.parse(device);
    }
}
