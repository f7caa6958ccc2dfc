package dev.dwjava.train.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;

import dev.dwjava.train.engine.TrainingDivergedException;
import org.junit.jupiter.api.Test;

/** What each kind of failure becomes: exit code and the one line shown. */
class ErrorBoundaryTest {
    private static ErrorBoundary.Outcome of(Throwable t) {
        return ErrorBoundary.classify(t);
    }

    @Test
    void fileSystemFailuresNameTheFileAndTheReason() {
        assertEquals(new ErrorBoundary.Outcome(2, "file not found: /d/w.pth"), of(new NoSuchFileException("/d/w.pth")));
        assertEquals(new ErrorBoundary.Outcome(2, "permission denied: /d/w.pth (check the file's or folder's permissions)"),
                of(new AccessDeniedException("/d/w.pth")));
        assertEquals(new ErrorBoundary.Outcome(2, "/w/epoch_1.pth: No space left on device (the disk is full: free space or use"
                + " another --work-dir)"), of(new FileSystemException("/w/epoch_1.pth", null, "No space left on device")));
        assertEquals(new ErrorBoundary.Outcome(2, "/w: Read-only file system (the file system is read-only: use another --work-dir)"),
                of(new FileSystemException("/w", null, "Read-only file system")));
    }

    @Test
    void wrappedExpectedFailuresShowTheCause() {
        IOException io = new IOException("/data/a.jpg: not an image");
        assertEquals(new ErrorBoundary.Outcome(2, "/data/a.jpg: not an image"),
                of(new IllegalStateException("data loading failed: x", io)));
        assertEquals(new ErrorBoundary.Outcome(2, "/data/a.jpg: not an image"), of(new UncheckedIOException(io)));
        assertEquals(new ErrorBoundary.Outcome(2, "bad key"), of(new RuntimeException(new IllegalArgumentException("bad key"))));
    }

    @Test
    void divergenceIsAFailedCheckAndBugsSayHowToReportThem() {
        assertEquals(1, of(new TrainingDivergedException("loss is NaN at iteration 3")).exitCode());
        assertEquals(1, of(new IllegalStateException("x", new TrainingDivergedException("NaN"))).exitCode());
        ErrorBoundary.Outcome npe = of(new NullPointerException("boom"));
        assertEquals(1, npe.exitCode());
        assertEquals("internal error: java.lang.NullPointerException: boom (this is a bug; rerun with --debug for the stack"
                + " trace and report it)", npe.message());
        assertEquals(2, of(new OutOfMemoryError("Java heap space")).exitCode());
    }
}
