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
}
