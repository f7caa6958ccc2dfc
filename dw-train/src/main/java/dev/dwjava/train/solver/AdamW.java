package dev.dwjava.train.solver;

import static dev.dwjava.core.tensor.Tensors.s;

import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import dev.dwjava.core.runtime.TensorScope;
import dev.dwjava.core.tensor.Tensors;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;

/**
 * AdamW (Loshchilov and Hutter), PyTorch's semantics without amsgrad: per parameter, with its own step count t,
 * {@code p *= 1 − lr·wd; m = β1·m + (1 − β1)·g; v = β2·v + (1 − β2)·g²;
 * p −= lr/(1 − β1^t) · m / (√v / √(1 − β2^t) + ε)}. Weight decay is decoupled from the gradient, so norm layers get
 * {@code solver.norm_decay} as with SGD. State names: {@code <param>.exp_avg}, {@code <param>.exp_avg_sq},
 * {@code <param>.step} (a float64 scalar), as PyTorch's {@code state_dict} keys them per parameter.
 */
public final class AdamW implements Optimizer {
    private final List<Param> params;
    private final double beta1;
    private final double beta2;
    private final double eps;
    private final Map<String, Tensor> expAvg = new HashMap<>();
    private final Map<String, Tensor> expAvgSq = new HashMap<>();
    private final Map<String, Long> steps = new HashMap<>();

    public AdamW(List<Param> params, double beta1, double beta2, double eps) {
        if (!(beta1 >= 0 && beta1 < 1 && beta2 >= 0 && beta2 < 1 && eps > 0)) {
            throw new IllegalArgumentException("AdamW needs betas in [0, 1) and eps > 0, found " + beta1 + ", " + beta2 + ", " + eps);
        }
        this.params = List.copyOf(params);
        this.beta1 = beta1;
        this.beta2 = beta2;
        this.eps = eps;
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
                ensure(p);
                long t = steps.merge(p.name(), 1L, Long::sum);
                Tensor m = expAvg.get(p.name()), v = expAvgSq.get(p.name());
                p.tensor().mul_(s(1 - lr * p.weightDecay()));
                m.mul_(s(beta1)).add_(grad, s(1 - beta1));
                v.mul_(s(beta2)).addcmul_(grad, grad, s(1 - beta2));
                double bias1 = 1 - Math.pow(beta1, t), bias2 = 1 - Math.pow(beta2, t);
                Tensor denom = v.sqrt().div_(s(Math.sqrt(bias2))).add_(s(eps));
                p.tensor().addcdiv_(m, denom, s(-lr / bias1));
            }
        }
    }

    private void ensure(Param p) {
        if (!expAvg.containsKey(p.name())) {
            Tensor m = torch.zeros_like(p.tensor()), v = torch.zeros_like(p.tensor());
            m.retainReference();
            v.retainReference();
            expAvg.put(p.name(), m);
            expAvgSq.put(p.name(), v);
            steps.put(p.name(), 0L);
        }
    }

    @Override
    public Map<String, Tensor> state() {
        Map<String, Tensor> out = new LinkedHashMap<>();
        for (Param p : params) {
            if (expAvg.containsKey(p.name())) {
                out.put(p.name() + ".exp_avg", expAvg.get(p.name()));
                out.put(p.name() + ".exp_avg_sq", expAvgSq.get(p.name()));
                out.put(p.name() + ".step", Tensors.of(new double[] {steps.get(p.name())}, ScalarType.Double, 1));
            }
        }
        return Collections.unmodifiableMap(out);
    }

    @Override
    public void ensureState() {
        try (NoGradGuard g = new NoGradGuard()) {
            params.forEach(this::ensure);
        }
    }

    @Override
    public void loadState(Map<String, Tensor> state) {
        Map<String, Param> byName = new HashMap<>();
        params.forEach(p -> byName.put(p.name(), p));
        for (String k : state.keySet()) {
            int dot = k.lastIndexOf('.');
            String owner = dot < 0 ? "" : k.substring(0, dot), field = k.substring(dot + 1);
            if (!byName.containsKey(owner) || !List.of("exp_avg", "exp_avg_sq", "step").contains(field)) {
                throw new IllegalArgumentException("optimizer state '" + k + "' is not AdamW state of this model (a checkpoint of"
                        + " another optimizer or model?): resume with the solver.optimizer it was trained with");
            }
        }
        try (NoGradGuard g = new NoGradGuard()) {
            for (Param p : params) {
                Tensor m = state.get(p.name() + ".exp_avg"), v = state.get(p.name() + ".exp_avg_sq");
                Tensor t = state.get(p.name() + ".step");
                if (m == null && v == null && t == null) {
                    continue;
                }
                if (m == null || v == null || t == null) {
                    throw new IllegalArgumentException("optimizer state of '" + p.name() + "' is incomplete: AdamW needs exp_avg,"
                            + " exp_avg_sq and step");
                }
                ensure(p);
                // copy_ converts dtype and device: the state lives where the parameter lives.
                expAvg.get(p.name()).copy_(m);
                expAvgSq.get(p.name()).copy_(v);
                steps.put(p.name(), (long) t.item_double());
            }
        }
    }
}
