package dev.dwjava.train.solver;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import dev.dwjava.core.runtime.TensorScope;
import dev.dwjava.core.tensor.Tensors;
import org.bytedeco.pytorch.DeviceOptional;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.ScalarTypeOptional;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;

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
    default void zeroGrad() {
        try (NoGradGuard g = new NoGradGuard()) {
            for (Param p : params()) {
                Tensor grad = p.tensor().grad();
                if (grad != null && grad.defined()) {
                    grad.zero_();
                }
            }
        }
    }

    /**
     * Global L2 norm of all gradients; scales them down to {@code maxNorm} when above it (0: never). Runs on the device
     * without a host read, so that a step needs one read in all (see {@code Trainer.step}).
     *
     * @return the norm, a float64 scalar tensor on the parameters' device
     */
    default Tensor clipGradNorm(double maxNorm) {
        return clipGradNorm(params(), maxNorm);
    }

    /**
     * Global L2 norm of the gradients of {@code params}, the squares summed per tensor (as float) and over tensors in
     * float64; when above {@code maxNorm} (0: never) the gradients are scaled by {@code maxNorm / (norm + 1e-6)}. The
     * decision is a device-side select, not a host read.
     */
    private static Tensor clipGradNorm(List<Param> params, double maxNorm) {
        try (TensorScope scope = TensorScope.open(); NoGradGuard g = new NoGradGuard()) {
            TensorVector squares = new TensorVector();
            List<Tensor> grads = new ArrayList<>();
            for (Param p : params) {
                Tensor grad = p.tensor().grad();
                if (grad != null && grad.defined()) {
                    grads.add(grad);
                    squares.push_back(grad.pow(Tensors.s(2.0)).sum().to(ScalarType.Double));
                }
            }
            if (grads.isEmpty()) {
                return scope.handOut(torch.zeros(1).to(ScalarType.Double).reshape(new long[0]));
            }
            Tensor norm = torch.stack(squares).sum().sqrt();
            if (maxNorm > 0) {
                Tensor max = torch.full(new long[0], Tensors.s(maxNorm), new TensorOptions().dtype(new ScalarTypeOptional(ScalarType.Double))
                        .device(new DeviceOptional(norm.device())));
                Tensor factor = torch.where(norm.gt(max), max.div(norm.add(Tensors.s(1e-6))), torch.ones_like(norm));
                for (Tensor grad : grads) {
                    grad.mul_(factor);
                }
            }
            return scope.handOut(norm);
        }
    }

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
