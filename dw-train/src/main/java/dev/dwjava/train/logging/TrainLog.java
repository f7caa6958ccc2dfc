package dev.dwjava.train.logging;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;

/**
 * The console of a training run, mirrored line by line into a text file ({@code <work dir>/train.log}). A run appends
 * to the file after a line with its start time, so a resumed run continues the log of the first. What a terminal
 * overwrites (the progress bar between log lines, redrawn after a carriage return) is left out; each line is flushed
 * when it ends, so {@code tail -f} follows the run and a killed run keeps all of its finished lines.
 */
public final class TrainLog implements AutoCloseable {
    private final Path file;
    private final OutputStream fileOut;
    private final LineFilter lines;
    private final PrintStream tee;

    private TrainLog(Path file, OutputStream fileOut, PrintStream console) {
        this.file = file;
        this.fileOut = fileOut;
        this.lines = new LineFilter(fileOut);
        this.tee = new PrintStream(new Tee(console, lines), true, StandardCharsets.UTF_8);
    }

    /** Opens {@code file} (its folder is created) for appending and writes the start line. */
    public static TrainLog open(Path file, PrintStream console) throws IOException {
        Files.createDirectories(file.toAbsolutePath().getParent());
        OutputStream out = Files.newOutputStream(file, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        TrainLog log = new TrainLog(file, out, console);
        log.fileOnly("===== " + LocalDateTime.now().format(DateTimeFormatter.ISO_LOCAL_DATE_TIME).replaceFirst("\\.\\d+$", "")
                + " =====");
        return log;
    }

    public Path file() {
        return file;
    }

    /** The console and the file together: what the run prints. */
    public PrintStream out() {
        return tee;
    }

    /** A line for the file alone (the error that the command line prints to the terminal itself). */
    public void fileOnly(String line) {
        tee.flush();
        synchronized (lines) {
            try {
                lines.endLine();
                fileOut.write((line + "\n").getBytes(StandardCharsets.UTF_8));
                fileOut.flush();
            } catch (IOException e) {
                throw new UncheckedIOException("cannot write " + file, e);
            }
        }
    }

    @Override
    public void close() throws IOException {
        tee.flush();
        synchronized (lines) {
            lines.endLine();
        }
        fileOut.close();
    }

    /** Writes every byte to the console and to the line filter. */
    private static final class Tee extends OutputStream {
        private final PrintStream console;
        private final LineFilter lines;

        Tee(PrintStream console, LineFilter lines) {
            this.console = console;
            this.lines = lines;
        }

        @Override
        public void write(int b) throws IOException {
            write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            console.write(b, off, len);
            synchronized (lines) {
                lines.write(b, off, len);
            }
        }

        @Override
        public void flush() {
            console.flush();
        }
    }

    /**
     * Collects a line and writes it when it ends with '\n' (or "\r\n"); a lone '\r' drops what came before it on the
     * line, as a terminal shows the text after it in its place.
     */
    private static final class LineFilter {
        private final OutputStream out;
        private final ByteArrayOutputStream line = new ByteArrayOutputStream();
        private boolean carriageReturn;

        LineFilter(OutputStream out) {
            this.out = out;
        }

        void write(byte[] b, int off, int len) throws IOException {
            for (int i = off; i < off + len; i++) {
                byte c = b[i];
                if (carriageReturn && c != '\n') {
                    line.reset();
                }
                carriageReturn = c == '\r';
                if (c == '\n') {
                    line.write('\n');
                    line.writeTo(out);
                    line.reset();
                    out.flush();
                } else if (c != '\r') {
                    line.write(c);
                }
            }
        }

        /** Writes an unfinished line (a prompt without newline) so that nothing printed is lost. */
        void endLine() throws IOException {
            if (line.size() > 0) {
                line.write('\n');
                line.writeTo(out);
                line.reset();
                out.flush();
            }
            carriageReturn = false;
        }
    }
}
