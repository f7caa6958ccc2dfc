package dev.dwjava.model.reference;

import java.util.Map;

import dev.dwjava.core.reference.CaseRunner;
import dev.dwjava.core.reference.LossCaseRunner;
import dev.dwjava.core.reference.ReferenceCase;

/** Every reference-case kind with the runner that handles it. */
public final class ModelCaseRunners {
    private ModelCaseRunners() {}

    /** Runners for loss, refine and post-processing cases. */
    public static Map<ReferenceCase.Kind, CaseRunner> all() {
        return Map.of(ReferenceCase.Kind.LOSS, new LossCaseRunner(),
                ReferenceCase.Kind.REFINE, new RefineCaseRunner(),
                ReferenceCase.Kind.POSTPROCESS, new PostprocessCaseRunner());
    }
}
