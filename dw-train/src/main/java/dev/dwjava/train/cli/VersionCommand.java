package dev.dwjava.train.cli;

import dev.dwjava.core.runtime.RuntimeInfo;
import dev.dwjava.core.runtime.Torch;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code dw version}: versions of the project, libtorch and javacpp, and the thread count. */
@Command(name = "version", description = "Print the versions of dw-java, libtorch and javacpp, and the threads in use.")
public final class VersionCommand implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        for (String line : lines()) {
            spec.commandLine().getOut().println(line);
        }
    }

    static String[] lines() {
        RuntimeInfo info = Torch.init();
        return new String[] {
            "dw-java   " + projectVersion(),
            "libtorch  " + info.pytorchVersion() + " (" + info.platform() + ")",
            "javacpp   " + info.javacppVersion(),
            "threads   " + info.threads() + " intra-op",
            "cuda      " + (info.cudaAvailable() ? "available" : "not available"),
            "kernels   " + dev.dwjava.kernels.Kernels.describe(),
            "java      " + System.getProperty("java.version") + " (" + System.getProperty("java.vendor") + ")",
        };
    }

    static String projectVersion() {
        String v = DwCli.class.getPackage().getImplementationVersion();
        return v != null ? v : "0.1.0-SNAPSHOT";
    }

    /** Serves {@code dw --version}. */
    public static final class Provider implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            return lines();
        }
    }
}
