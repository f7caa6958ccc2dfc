package dev.dwjava.train.solver;

import java.util.List;
import java.util.Map;

import org.bytedeco.pytorch.Tensor;

/**
 * A first-order optimizer over named libtorch tensors, written in Java so that its state is plain named tensors that
 * checkpoints save ({@code epoch_N.optim.pth}). {@link Sgd} is the paper's; {@link AdamW} is for users who tune beyond
 * the paper recipe ({@code solver.optimizer: adamw}).
 */
public interface Optimizer {
    /** A trainable tensor with its name and weight decay. */
    record Param(String name, Tensor tensor, double weightDecay) {}

    /** The parameters this optimizer updates. */
    List<Param> params();

    /** One update with learning rate {@code lr}; parameters without a gradient are skipped. */
    void step(double lr);

    /** Clears the gradients before the next backward. */
    void zeroGrad();

    /**
     * Global L2 norm of all gradients; scales them down to {@code maxNorm} when above it (0: never). Runs on the device
     * without a host read, so that a step needs one read in all (see {@code Trainer.step}).
     *
     * @return the norm, a float64 scalar tensor on the parameters' device
     */
    Tensor clipGradNorm(double maxNorm);

    /** The optimizer's state by name (for checkpoints). */
    Map<String, Tensor> state();

    /**
     * Gives every parameter the state it would have before its first update, so that ranks that did not load a
     * checkpoint hold the same tensors (to receive rank 0's).
     */
    void ensureState();

    /** Restores a state saved by {@link #state()}; a state of another optimizer is an error that says so. */
    void loadState(Map<String, Tensor> state);

    /**
     * The optimizer of {@code solver.optimizer} over a model's trainable tensors, grouped for weight decay as
     * {@link Sgd#groups} does.
     */
    static Optimizer of(SolverConfig solver, Map<String, Tensor> named) {
        List<Param> params = Sgd.groups(named, solver.weightDecay(), solver.normDecay());
        return switch (solver.optimizer()) {
            case "sgd" -> new Sgd(params, solver.momentum());
            case "adamw" -> new AdamW(params, solver.betas().get(0), solver.betas().get(1), solver.eps());
            default -> throw new IllegalStateException("unchecked optimizer " + solver.optimizer());
        };
    }
}
