package dev.dwjava.train.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.List;

import dev.dwjava.core.runtime.Torch;
import dev.dwjava.model.DwDetector;
import dev.dwjava.model.ModelComplexity;
import dev.dwjava.model.ModelConfig;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** {@code dw flops} against a count done by hand for a tiny model at 64 × 64. */
class FlopsCommandTest {
    /** MACs of a convolution: output positions × out channels × in channels × k². */
    private static long conv(int positions, int cout, int cin, int k) {
        return (long) positions * cout * cin * k * k;
    }

    /**
     * ResNet-18 at width 4, FPN and head at 8 channels, one conv per tower, 3 classes, no refinement, 64 × 64 input.
     * Backbone: stem 32×32 after the stride-2 7×7 conv, 16×16 after the pool; layer1..4 at 16, 8, 4, 2 px.
     */
    private static final long BACKBONE = conv(32 * 32, 4, 3, 7)
            + 4 * conv(256, 4, 4, 3)                                              // layer1: 2 blocks × 2 convs
            + conv(64, 8, 4, 3) + conv(64, 8, 8, 3) + conv(64, 8, 4, 1) + 2 * conv(64, 8, 8, 3)       // layer2
            + conv(16, 16, 8, 3) + conv(16, 16, 16, 3) + conv(16, 16, 8, 1) + 2 * conv(16, 16, 16, 3)  // layer3
            + conv(4, 32, 16, 3) + conv(4, 32, 32, 3) + conv(4, 32, 16, 1) + 2 * conv(4, 32, 32, 3);   // layer4
    /** Laterals on C3..C5 (8, 16, 32 channels at 8, 4, 2 px), output convs on P3..P5, P6 and P7 at 1 px. */
    private static final long NECK = conv(64, 8, 8, 1) + conv(16, 8, 16, 1) + conv(4, 8, 32, 1)
            + conv(64, 8, 8, 3) + conv(16, 8, 8, 3) + conv(4, 8, 8, 3) + conv(1, 8, 8, 3) + conv(1, 8, 8, 3);
    /** Per position of P3..P7 (64 + 16 + 4 + 1 + 1): two tower convs, classes, distances, objectness. */
    private static final long HEAD = 86 * (2 * 8 * 8 * 9 + 3 * 8 * 9 + 4 * 8 * 9 + 8 * 9);

    @Test
    void countsEqualTheHandCount() {
        assertEquals(1_142_784, BACKBONE);
        assertEquals(56_704, NECK);
        assertEquals(148_608, HEAD);
        Torch.init();
        ModelConfig cfg = new ModelConfig(18, 4, 1, 8, 8, 1, 4, 3, false, false);
        try (DwDetector model = new DwDetector(cfg)) {
            ModelComplexity c = ModelComplexity.measure(model, 64, 64);
            List<ModelComplexity.Group> g = c.groups();
            assertEquals(List.of("backbone", "neck", "head"), g.stream().map(ModelComplexity.Group::name).toList());
            assertEquals(BACKBONE, g.get(0).macs());
            assertEquals(NECK, g.get(1).macs());
            assertEquals(HEAD, g.get(2).macs());
            // Parameters: backbone convs (no bias) 44,172 + frozen-BN weight and bias 600; neck convs with bias 3,392;
            // head towers 2 × (584 + GroupNorm 16), conv_cls 219, conv_reg 292, centerness 73, five scales.
            assertEquals(44_172 + 600, g.get(0).parameters());
            assertEquals(3_392, g.get(1).parameters());
            assertEquals(2 * 600 + 219 + 292 + 73 + 5, g.get(2).parameters());
            assertEquals(model.parameterCount(), c.total().parameters());
            assertEquals(model.trainableParameterCount(), c.total().trainable());
            assertTrue(g.get(0).trainable() < g.get(0).parameters(), "the stem and layer1 are frozen (frozen_stages 1)");
            // FLOPs scale with the input: a 128 × 64 input doubles every position count of P3..P5 and the backbone.
            assertEquals(2 * BACKBONE, ModelComplexity.measure(model, 128, 64).groups().get(0).macs());
        }
    }

    @Test
    void commandPrintsTheTable() throws Exception {
        Path config = Path.of(getClass().getClassLoader().getResource("configs/tiny_full.yaml").toURI());
        StringWriter out = new StringWriter(), err = new StringWriter();
        CommandLine cl = DwCli.commandLine();
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        assertEquals(0, cl.execute("flops", "--config", config.toString(), "--size", "64x64", "--cfg-options", "model.depth=18",
                "model.fpn_channels=8", "model.head_channels=8", "model.stacked_convs=1", "model.box_refine=false"), err::toString);
        String text = out.toString();
        assertTrue(text.contains("input shape: (3, 64, 64)"), text);
        assertTrue(text.matches("(?s).*\\nbackbone +44772 +\\d+ +1142784 +0\\.001\\n.*"), text);
        assertTrue(text.matches("(?s).*\\ntotal +49953 +\\d+ +1348096 .*"), text);
        assertEquals(2, cl.execute("flops", "--config", config.toString(), "--size", "60x64"));
        assertTrue(err.toString().contains("--size must be HxW with positive multiples of 32, found 60x64"), err.toString());
    }
}
