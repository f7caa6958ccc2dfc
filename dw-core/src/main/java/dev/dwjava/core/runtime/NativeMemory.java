package dev.dwjava.core.runtime;

import org.bytedeco.javacpp.Pointer;

/** Readings of native memory, for logs, benchmarks and leak tests. */
public final class NativeMemory {
    private NativeMemory() {}

    /** Resident set size of this process in bytes (what the OS charges us, heap and libtorch included). */
    public static long residentBytes() {
        return Pointer.physicalBytes();
    }

    /**
     * Resident memory outside the Java heap: RSS minus the heap the JVM has committed. Heap growth (which the garbage
     * collector governs) then does not look like a native leak.
     */
    public static long offHeapResidentBytes() {
        return Pointer.physicalBytes() - Runtime.getRuntime().totalMemory();
    }

    /** Number of live JavaCPP objects with a native deallocator (tensors, options, scalars...). */
    public static long liveNativeObjects() {
        return Pointer.totalCount();
    }
}
