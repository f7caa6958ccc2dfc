package dev.dwjava.train.engine;

/** A loss became NaN or infinite; the message names the iteration and the term. */
public final class TrainingDivergedException extends RuntimeException {
    public TrainingDivergedException(String message) {
        super(message);
    }
}
