package dev.dwjava.kernels;

/** A kernel could not be loaded or launched; the message names the kernel and the cause. */
public class KernelException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public KernelException(String message) {
        super(message);
    }

    public KernelException(String message, Throwable cause) {
        super(message, cause);
    }
}
