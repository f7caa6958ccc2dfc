package dev.dwjava.kernels;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

import dev.dwjava.core.ScopedTensors;
import dev.dwjava.core.dw.DwAssignment;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** Writes the per-image fixtures (on request only). */
@ExtendWith(ScopedTensors.class)
class PerImageFixturesTest {
    @Test
    void write() throws IOException {
        assumeTrue(Boolean.getBoolean("dw.kernels.writePerImage"), "writes the per-image fixtures only on request");
        for (PerImageFixtures.Batch b : PerImageFixtures.BATCHES) {
            KernelDwAssigner k = new KernelDwAssigner(HostKernels.launcher(32), b.block());
            List<DwAssignment> out = new ArrayList<>();
            for (RandomInputs.DwInputs in : b.images()) {
                out.add(k.assign(in.points(), in.predictions(), in.gt()));
            }
            PerImageFixtures.write(b, out);
        }
    }
}
