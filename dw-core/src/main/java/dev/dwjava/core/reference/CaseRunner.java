package dev.dwjava.core.reference;

import com.fasterxml.jackson.databind.node.ObjectNode;
import org.bytedeco.pytorch.global.torch.ScalarType;

/** Runs our implementation on a reference case's inputs and returns what it computed, in the expected layout. */
@FunctionalInterface
public interface CaseRunner {
    /**
     * @param c     the case
     * @param dtype precision to compute in (the case's own, or float32 to check an fp32 run)
     */
    ObjectNode run(ReferenceCase c, ScalarType dtype);

    /**
     * The default largest relative difference for results computed in {@code dtype}: the reference README's bars,
     * 1e-9 in float64 and 1e-4 in float32. Runners whose results need a tighter bar override it.
     */
    default double tolerance(ScalarType dtype) {
        return dtype == ScalarType.Double ? 1e-9 : 1e-4;
    }
}
