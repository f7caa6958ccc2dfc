/**
 * The training loop ({@link dev.dwjava.train.engine.Trainer}: forward, DW loss, backward, SGD, one native-memory scope
 * per step) and what hangs off it: hooks, checkpoints, the metrics log, progress, the loss-curve plot and the work-dir
 * lock. It works on batches already on tensors, so it must not depend on dw-data's loaders, on dw-eval, or on
 * {@code app}, {@code dist} and {@code cli}; whole runs are put together in {@code app}.
 */
package dev.dwjava.train.engine;
