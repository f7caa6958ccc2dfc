package dev.dwjava.train.cli;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.util.Locale;

import dev.dwjava.core.runtime.NativeLoadException;
import dev.dwjava.train.dist.PeerFailureException;
import dev.dwjava.train.engine.TrainingDivergedException;

/**
 * The one place where a failure of a {@code dw} command becomes what the user sees: one line that names the file, key,
 * record or tensor and says what to do, and an exit code (docs/commands.md: 0 success, 1 a check failed, 2 bad usage
 * or bad input, including the environment: missing files, permissions, a full disk; 3 a peer of a distributed job died
 * or timed out). Stack traces are printed only with
 * {@code --debug} or {@code DW_LOG_LEVEL=DEBUG}.
 */
final class ErrorBoundary {
    /** Exit code and the line to print. */
    record Outcome(int exitCode, String message) {}

    private ErrorBoundary() {}

    static Outcome classify(Throwable ex) {
        Outcome o = classifyRaw(ex);
        // One line, whatever a library put into its message (YAML parsers, libtorch): later lines join with "; ".
        return new Outcome(o.exitCode(), String.valueOf(o.message()).strip().replaceAll("\\s*\\R\\s*", "; "));
    }

    private static Outcome classifyRaw(Throwable ex) {
        if (ex instanceof TrainingDivergedException d) {
            return new Outcome(1, d.getMessage());
        }
        for (Throwable t = ex; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof PeerFailureException p) {
                return new Outcome(3, p.getMessage());
            }
        }
        // Expected failures often arrive wrapped (a loader worker's IOException inside an IllegalStateException, an
        // IOException carried through a lambda): the innermost expected cause says what was wrong with what.
        Throwable expected = null;
        for (Throwable t = ex; t != null && expected == null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof IOException || t instanceof IllegalArgumentException || t instanceof NativeLoadException
                    || t instanceof OutOfMemoryError || t instanceof TrainingDivergedException) {
                expected = t;
            }
        }
        if (expected instanceof TrainingDivergedException d) {
            return new Outcome(1, d.getMessage());
        }
        if (expected instanceof IOException io) {
            return new Outcome(2, describe(io));
        }
        if (expected instanceof OutOfMemoryError) {
            return new Outcome(2, "out of Java heap memory: give the JVM more (DW_JAVA_OPTS=-Xmx16g) or use smaller images or"
                    + " batches");
        }
        if (expected != null) {
            return new Outcome(2, expected.getMessage());
        }
        return new Outcome(1, "internal error: " + ex + " (this is a bug; rerun with --debug for the stack trace and report it)");
    }

    /** An IOException as one line: the JDK's file-system exceptions carry only the path, so the reason is added. */
    static String describe(IOException e) {
        if (e instanceof NoSuchFileException f) {
            return "file not found: " + f.getFile() + (f.getReason() == null ? "" : " (" + f.getReason() + ")");
        }
        if (e instanceof AccessDeniedException f) {
            return "permission denied: " + f.getFile() + " (check the file's or folder's permissions)";
        }
        if (e instanceof NotDirectoryException f) {
            return "not a directory: " + f.getFile();
        }
        if (e instanceof FileAlreadyExistsException f) {
            return "already exists: " + f.getFile();
        }
        if (e instanceof FileSystemException f) {
            String reason = String.valueOf(f.getReason());
            String hint = reason.toLowerCase(Locale.ROOT).contains("no space") ? " (the disk is full: free space or use another --work-dir)"
                    : reason.toLowerCase(Locale.ROOT).contains("read-only") ? " (the file system is read-only: use another --work-dir)" : "";
            return f.getFile() + ": " + reason + hint;
        }
        if (e.getMessage() == null) {
            return e.getClass().getSimpleName();
        }
        String m = e.getMessage();
        if (m.toLowerCase(Locale.ROOT).contains("no space left")) {
            return m + " (the disk is full: free space or use another --work-dir)";
        }
        return m;
    }

    /** True when stack traces should be shown: {@code --debug} or {@code DW_LOG_LEVEL=DEBUG|TRACE}. */
    static boolean debug(boolean flag) {
        String level = System.getenv("DW_LOG_LEVEL");
        return flag || level != null && (level.equalsIgnoreCase("DEBUG") || level.equalsIgnoreCase("TRACE"));
    }
}
