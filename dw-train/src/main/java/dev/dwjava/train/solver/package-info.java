/**
 * The optimiser and its schedule: SGD with momentum and weight decay in PyTorch's exact arithmetic, and the
 * warm-up-then-steps learning-rate schedule, with their config record. It depends on dw-core only (tensors and
 * scopes), not on the model, the data or the rest of dw-train, so it can be tested against libtorch's own optimiser
 * on bare tensors.
 */
package dev.dwjava.train.solver;
