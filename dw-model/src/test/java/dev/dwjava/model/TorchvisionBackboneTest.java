package dev.dwjava.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import dev.dwjava.core.ScopedTensors;
import dev.dwjava.model.weights.LoadReport;
import dev.dwjava.model.weights.TorchFile;
import dev.dwjava.model.weights.TorchFileWriter;
import dev.dwjava.model.weights.WeightLoader;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * ImageNet backbone files as users have them: torchvision's V1 layout (legacy format, no num_batches_tracked) loads
 * with mmcv's non-strict rule; clearly wrong files (depth, width) are refused. Fixture: a ResNet-50 of base width 4
 * with torchvision's names (make_legacy_fixtures.py).
 */
@ExtendWith(ScopedTensors.class)
class TorchvisionBackboneTest {
    private static final int BACKBONE_TENSORS = 265;    // R-50 without num_batches_tracked: 53 convs, 53 BNs × 4 + ...

    private static DwDetector r50(int width, boolean dcn) {
        return new DwDetector(new ModelConfig(50, width, 1, 16, 16, 1, 4, 3, false, dcn));
    }

    @ParameterizedTest
    @ValueSource(strings = {"tv_r50_w4_legacy_tar.pth", "tv_r50_w4_legacy.pth", "tv_r50_w4_zip.pth"})
    void v1LayoutWithoutCountersLoadsEveryTensorExactly(String name) throws IOException {
        Path file = Fixtures.path(name);
        DwDetector model = r50(4, false);
        LoadReport r = WeightLoader.loadTorchvisionBackbone(model, file);
        assertTrue(r.clean(), r.toString());
        assertEquals(BACKBONE_TENSORS, r.loaded());
        Map<String, Tensor> state = WeightLoader.stateOf(model);
        Map<String, Tensor> src = TorchFile.loadStateDict(file);
        for (Map.Entry<String, Tensor> e : src.entrySet()) {
            if (!e.getKey().startsWith("fc.")) {
                assertTrue(torch.equal(e.getValue(), state.get("backbone." + e.getKey())), e.getKey());
            }
        }
        long counters = state.entrySet().stream().filter(e -> e.getKey().endsWith("num_batches_tracked"))
                .peek(e -> assertEquals(0, e.getValue().item_long(), e.getKey())).count();
        assertEquals(53, counters);
    }

    @Test
    void dcnOffsetsAreNotMissing() throws IOException {
        DwDetector model = r50(4, true);
        LoadReport r = WeightLoader.loadTorchvisionBackbone(model, Fixtures.path("tv_r50_w4_legacy_tar.pth"));
        assertTrue(r.clean(), r.toString());
        assertEquals(BACKBONE_TENSORS, r.loaded());
        assertEquals(0.0, WeightLoader.stateOf(model).get("backbone.layer3.0.conv2.conv_offset.weight").abs().max().item_double());
    }

    /** A few tensors more or fewer: loaded non-strictly, reported, the missing ones keep their init. */
    @Test
    void smallDifferencesAreReportedNotFatal(@TempDir Path tmp) throws IOException {
        Map<String, Tensor> sd = new LinkedHashMap<>(TorchFile.loadStateDict(Fixtures.path("tv_r50_w4_legacy.pth")));
        sd.remove("layer4.2.bn3.running_var");
        sd.remove("layer4.2.conv3.weight");
        sd.put("layer5.0.conv1.weight", torch.ones(2, 2));
        sd.put("conv1.weight", torch.ones(4, 3, 5, 5));         // wrong shape
        Path file = tmp.resolve("edited.pth");
        TorchFileWriter.writeStateDict(file, sd);
        DwDetector model = r50(4, false);
        Tensor before = WeightLoader.stateOf(model).get("backbone.layer4.2.conv3.weight").clone();
        LoadReport r = WeightLoader.loadTorchvisionBackbone(model, file);
        assertEquals(BACKBONE_TENSORS - 3, r.loaded());
        assertEquals(List.of("backbone.layer4.2.conv3.weight", "backbone.layer4.2.bn3.running_var"), r.missing());
        assertEquals(List.of("backbone.layer5.0.conv1.weight"), r.unexpected());
        assertEquals(List.of("backbone.conv1.weight: file [4, 3, 5, 5] vs model [4, 3, 7, 7]"), r.mismatched());
        Map<String, Tensor> state = WeightLoader.stateOf(model);
        assertTrue(torch.equal(before, state.get("backbone.layer4.2.conv3.weight")));
        assertEquals(1.0, state.get("backbone.layer4.2.bn3.running_var").min().item_double());   // init value
    }

    @Test
    void depthAndWidthMismatchesAreRefused(@TempDir Path tmp) throws IOException {
        Path r50 = Fixtures.path("tv_r50_w4_legacy_tar.pth");
        DwDetector r101 = new DwDetector(new ModelConfig(101, 4, 1, 16, 16, 1, 4, 3, false, false));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> WeightLoader.loadTorchvisionBackbone(r101, r50));
        assertTrue(e.getMessage().startsWith(r50 + " does not fit this backbone (265 of its 520 tensors loaded, from a file"
                + " of 265;"), e.getMessage());
        assertTrue(e.getMessage().contains("missing 255 [backbone.layer3.6.conv1.weight"), e.getMessage());

        // A ResNet-101 file (our own R-101's backbone, torchvision names) into a ResNet-50: everything it needs is
        // there, but half the file has no place.
        Map<String, Tensor> sd101 = new LinkedHashMap<>();
        WeightLoader.stateOf(r101).forEach((k, v) -> {
            if (k.startsWith("backbone.") && !k.endsWith("num_batches_tracked")) {
                sd101.put(k.substring("backbone.".length()), v);
            }
        });
        Path file101 = tmp.resolve("resnet101-like.pth");
        TorchFileWriter.writeStateDict(file101, sd101);
        e = assertThrows(IllegalArgumentException.class, () -> WeightLoader.loadTorchvisionBackbone(r50(4, false), file101));
        assertTrue(e.getMessage().startsWith(file101 + " does not fit this backbone (265 of its 265 tensors loaded, from a"
                + " file of 520;"), e.getMessage());

        e = assertThrows(IllegalArgumentException.class, () -> WeightLoader.loadTorchvisionBackbone(r50(8, false), r50));
        assertTrue(e.getMessage().startsWith(r50 + " does not fit this backbone (nothing matched;"), e.getMessage());
        assertFalse(e.getMessage().contains("num_batches_tracked"), e.getMessage());
    }
}
