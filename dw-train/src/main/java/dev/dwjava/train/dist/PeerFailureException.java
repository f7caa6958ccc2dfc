package dev.dwjava.train.dist;

/**
 * A collective operation failed because another process of the job died, was killed or stopped answering within
 * {@code DW_DIST_TIMEOUT}. {@code dw} exits with code 3 on it, so launchers and schedulers can tell it from bad input.
 */
public final class PeerFailureException extends RuntimeException {
    public PeerFailureException(String message, Throwable cause) {
        super(message, cause);
    }
}
