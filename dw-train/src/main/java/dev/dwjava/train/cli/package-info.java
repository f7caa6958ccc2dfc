/**
 * The {@code dw} command line (picocli): one class per subcommand, and {@link dev.dwjava.train.cli.ErrorBoundary},
 * which turns every failure into one line and an exit code. Commands parse options and call into {@code app},
 * {@code engine}, dw-eval and dw-model; the work itself belongs there, not here. No other package may depend on this
 * one.
 */
package dev.dwjava.train.cli;
