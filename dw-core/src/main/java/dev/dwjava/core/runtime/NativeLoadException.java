package dev.dwjava.core.runtime;

/** libtorch could not be loaded; the message says why and what the machine needs. */
public final class NativeLoadException extends RuntimeException {
    public NativeLoadException(String message, Throwable cause) {
        super(message, cause);
    }
}
