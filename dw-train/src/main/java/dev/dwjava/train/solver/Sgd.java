package dev.dwjava.train.solver;

import static dev.dwjava.core.tensor.Tensors.s;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import dev.dwjava.core.runtime.TensorScope;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;

/**
 * SGD with momentum and coupled L2 weight decay, PyTorch's semantics (dampening 0, no Nesterov):
 * {@code d = g + wd·p; buf = m·buf + d} (first step {@code buf = d}); {@code p −= lr·buf}.
 * Written in Java over libtorch tensors so that the momentum buffers are plain named tensors that checkpoints save.
 */
public final class Sgd implements Optimizer {
    private final List<Param> params;
    private final double momentum;
    private final Map<String, Tensor> buffers = new LinkedHashMap<>();

    public Sgd(List<Param> params, double momentum) {
        this.params = List.copyOf(params);
        this.momentum = momentum;
    }

    /**
     * Groups a model's trainable parameters: norm layers' weight and bias (BatchNorm {@code bn*} /
     * {@code downsample.1}, GroupNorm {@code gn}) get {@code normDecay}, everything else (conv weights, conv biases,
     * Scale scalars) {@code weightDecay} (mmcv's {@code norm_decay_mult=0}).
     */
    public static List<Param> groups(Map<String, Tensor> named, double weightDecay, double normDecay) {
        List<Param> out = new ArrayList<>();
        for (Map.Entry<String, Tensor> e : named.entrySet()) {
            if (!e.getValue().requires_grad()) {
                continue;
            }
            Tensor t = e.getValue();
            t.retainReference();                  // the optimizer outlives any scope the map was made in
            out.add(new Param(e.getKey(), t, isNorm(e.getKey()) ? normDecay : weightDecay));
        }
        return out;
    }

    static boolean isNorm(String name) {
        String owner = name.substring(0, Math.max(0, name.lastIndexOf('.')));
        String last = owner.substring(owner.lastIndexOf('.') + 1);
        return last.startsWith("bn") || last.equals("gn") || owner.endsWith("downsample.1");
    }

    @Override
    public List<Param> params() {
        return params;
    }

    @Override
    public void step(double lr) {
        try (TensorScope scope = TensorScope.open(); NoGradGuard g = new NoGradGuard()) {
            for (Param p : params) {
                Tensor grad = p.tensor().grad();
                if (grad == null || !grad.defined()) {
                    continue;
                }
                Tensor d = p.weightDecay() == 0 ? grad : grad.add(p.tensor(), s(p.weightDecay()));
                Tensor buf = buffers.get(p.name());
                if (buf == null) {
                    buf = d.clone();
                    buf.retainReference();
                    buffers.put(p.name(), buf);
                } else {
                    buf.mul_(s(momentum)).add_(d);
                }
                p.tensor().sub_(buf, s(lr));
            }
        }
    }

    /** The momentum buffers by parameter name (for checkpoints). */
    @Override
    public Map<String, Tensor> state() {
        return java.util.Collections.unmodifiableMap(buffers);
    }

    /**
     * Gives every trainable parameter without a momentum buffer a zero one, so that ranks that did not load a
     * checkpoint hold the same buffers (to receive rank 0's). A zero buffer gives the same first update as a new one:
     * {@code 0 · momentum + d = d}.
     */
    @Override
    public void ensureState() {
        try (NoGradGuard g = new NoGradGuard()) {
            for (Param p : params) {
                if (p.tensor().requires_grad() && !buffers.containsKey(p.name())) {
                    Tensor buf = org.bytedeco.pytorch.global.torch.zeros_like(p.tensor());
                    buf.retainReference();
                    buffers.put(p.name(), buf);
                }
            }
        }
    }

    /** Restores momentum buffers saved by {@link #state()}. */
    @Override
    public void loadState(Map<String, Tensor> state) {
        java.util.Set<String> names = new java.util.HashSet<>();
        params.forEach(p -> names.add(p.name()));
        for (String k : state.keySet()) {
            if (!names.contains(k)) {
                throw new IllegalArgumentException("optimizer state '" + k + "' is not an SGD momentum buffer of this model"
                        + " (a checkpoint of another optimizer or model?): resume with the solver.optimizer it was trained with");
            }
        }
        try (NoGradGuard g = new NoGradGuard()) {
            for (Param p : params) {
                Tensor saved = state.get(p.name());
                if (saved != null) {
                    // copy_ converts dtype and device: the buffer lives where the parameter lives.
                    Tensor buf = org.bytedeco.pytorch.global.torch.empty_like(p.tensor()).copy_(saved);
                    buf.retainReference();
                    buffers.put(p.name(), buf);
                }
            }
        }
    }
}
