package dev.dwjava.model.reference;

import java.util.List;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.dwjava.core.reference.CaseRunner;
import dev.dwjava.core.reference.NestedArrays;
import dev.dwjava.core.reference.ReferenceCase;
import dev.dwjava.core.runtime.TensorScope;
import dev.dwjava.model.head.BoxRefinement;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch.ScalarType;

/**
 * Runs {@link BoxRefinement} on a refine case: refined distances per level, and the gradients of
 * {@code L = Σ_levels Σ refined·loss_weight} with respect to the coarse distances and the raw offsets.
 */
public final class RefineCaseRunner implements CaseRunner {
    private static final JsonNodeFactory F = JsonNodeFactory.instance;

    @Override
    public ObjectNode run(ReferenceCase c, ScalarType dtype) {
        try (TensorScope scope = TensorScope.open()) {
            List<Tensor> coarse = c.levels("coarse_distances", dtype);
            List<Tensor> offsets = c.levels("reg_offset", dtype);
            List<Tensor> weights = c.levels("loss_weight", dtype);
            int[] strides = c.strides();
            ArrayNode refinedOut = F.arrayNode();
            Tensor loss = null;
            for (int l = 0; l < coarse.size(); l++) {
                coarse.get(l).requires_grad_(true);
                offsets.get(l).requires_grad_(true);
                Tensor refined = BoxRefinement.refine(coarse.get(l), offsets.get(l), strides[l]);
                refinedOut.add(NestedArrays.toJson(refined.detach()));
                Tensor term = refined.mul(weights.get(l)).sum();
                loss = loss == null ? term : loss.add(term);
            }
            loss.backward();
            ObjectNode out = F.objectNode();
            out.set("refined_distances", refinedOut);
            out.set("grad_coarse_distances", grads(coarse));
            out.set("grad_reg_offset", grads(offsets));
            return out;
        }
    }

    private static ArrayNode grads(List<Tensor> leaves) {
        ArrayNode arr = F.arrayNode();
        for (Tensor t : leaves) {
            arr.add(NestedArrays.toJson(t.grad()));
        }
        return arr;
    }
}
