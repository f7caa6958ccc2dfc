package dev.dwjava.train.engine;

import java.io.IOException;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * One training run per work dir: {@code <work dir>/.lock}, held (an operating-system file lock) for the whole run
 * and holding "pid@host" of its owner for the message another run gets. The OS releases the lock when the process
 * dies, however it dies, so a stale lock file is never mistaken for a live run. Taking the lock is also the first
 * write into the work dir, so an unwritable or read-only work dir fails here, before any data is read or epoch is
 * trained. It then removes what a killed run may have left half-written (the temporaries of atomic writes).
 */
public final class WorkDirLock implements AutoCloseable {
    static final String NAME = ".lock";
    /** Temporaries of {@link Checkpoints#writeAtomically}, the checkpoint writer and the plots: never a finished file. */
    private static final Pattern PARTIAL = Pattern.compile(
            "((epoch|iter)_\\d+(\\.optim)?\\.(pth|json)|best_\\w+(\\.optim)?\\.(pth|json)|latest\\.json|config\\.yaml"
                    + "|metrics\\.jsonl|loss).*\\.tmp");

    private final FileChannel channel;
    private final FileLock lock;
    private WorkDirLock(FileChannel channel, FileLock lock) {
        this.channel = channel;
        this.lock = lock;
    }

    /**
     * Takes the lock of {@code workDir} (created if absent) and removes partial temporaries of an earlier run.
     *
     * @throws IllegalArgumentException when another run holds it, naming its pid and host
     * @throws IOException              when the work dir cannot be created or written
     */
    public static WorkDirLock acquire(Path workDir) throws IOException {
        Files.createDirectories(workDir);
        Path file = workDir.resolve(NAME);
        FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
        FileLock lock;
        try {
            lock = ch.tryLock();
        } catch (OverlappingFileLockException e) {
            lock = null;   // held by this JVM
        }
        if (lock == null) {
            String owner = new String(Files.readAllBytes(file), StandardCharsets.UTF_8).trim();
            ch.close();
            throw new IllegalArgumentException("work dir " + workDir + " is in use by another training run ("
                    + (owner.isEmpty() ? "unknown process" : owner) + ", lock " + file + "); wait for it or use another --work-dir");
        }
        ch.truncate(0);
        ch.write(ByteBuffer.wrap((ProcessHandle.current().pid() + "@" + host() + "\n").getBytes(StandardCharsets.UTF_8)), 0);
        ch.force(true);
        removePartials(workDir);
        return new WorkDirLock(ch, lock);
    }

    /** Deletes the half-written temporaries a killed run left; finished files are never touched. */
    static int removePartials(Path workDir) throws IOException {
        int removed = 0;
        try (Stream<Path> files = Files.list(workDir)) {
            for (Path p : (Iterable<Path>) files::iterator) {
                if (PARTIAL.matcher(p.getFileName().toString()).matches() && Files.isRegularFile(p)) {
                    Files.delete(p);
                    removed++;
                }
            }
        }
        return removed;
    }

    private static String host() {
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (IOException e) {
            return "unknown-host";
        }
    }

    @Override
    public void close() throws IOException {
        try {
            lock.release();
        } finally {
            // The file stays: deleting it would let a run that opened it before the delete lock a second, unlinked file.
            channel.close();
        }
    }
}
