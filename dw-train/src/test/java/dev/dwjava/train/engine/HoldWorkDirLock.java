package dev.dwjava.train.engine;

import java.nio.file.Path;

/** A second process for {@code WorkDirLockTest}: takes the lock, says so, and holds it until killed or stdin closes. */
public final class HoldWorkDirLock {
    public static void main(String[] args) throws Exception {
        try (WorkDirLock lock = WorkDirLock.acquire(Path.of(args[0]))) {
            System.out.println("locked");
            System.out.flush();
            System.in.read();
        }
    }
}
