package dev.dwjava.train.engine;

/**
 * Everything around the step (logging, checkpoints, evaluation) is a hook. Call order per run:
 * {@code beforeTrain}, then per epoch {@code beforeEpoch}, per step {@code afterStep}, then {@code afterEpoch};
 * finally {@code afterTrain} (also after a failure, with the exception). Hooks run on the training thread and should
 * be cheap in {@code afterStep}.
 */
public interface TrainHook {
    default void beforeTrain(Trainer trainer) {}

    default void beforeEpoch(Trainer trainer, int epoch) {}

    default void afterStep(Trainer trainer, StepResult step) {}

    default void afterEpoch(Trainer trainer, int epoch) {}

    default void afterTrain(Trainer trainer, Throwable failure) {}
}
