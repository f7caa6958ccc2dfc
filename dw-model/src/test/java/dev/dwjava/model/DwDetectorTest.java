package dev.dwjava.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.dwjava.core.runtime.TensorScope;
import dev.dwjava.core.runtime.Torch;
import dev.dwjava.core.tensor.Tensors;
import dev.dwjava.model.head.LevelOutput;
import dev.dwjava.model.weights.LoadReport;
import dev.dwjava.model.weights.TorchFile;
import dev.dwjava.model.weights.WeightLoader;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Architecture (names, shapes, counts), weight loading, and numerical equivalence with a PyTorch implementation. */
class DwDetectorTest {

    @BeforeAll
    static void init() {
        Torch.init();
    }

    private static Map<String, long[]> shapes(DwDetector d) {
        Map<String, long[]> out = new LinkedHashMap<>();
        WeightLoader.stateOf(d).forEach((k, v) -> out.put(k, v.shape()));
        return out;
    }

    @Test
    void backboneHasTorchvisionNamesAndShapes() throws IOException {
        JsonNode layouts = new ObjectMapper().readTree(Fixtures.path("torchvision_resnet_layouts.json").toFile());
        for (int depth : new int[] {18, 50, 101}) {
            try (TensorScope scope = TensorScope.open()) {
                Map<String, long[]> ours = new LinkedHashMap<>();
                shapes(new DwDetector(ModelConfig.paper(depth, true))).forEach((k, v) -> {
                    if (k.startsWith("backbone.")) {
                        ours.put(k.substring("backbone.".length()), v);
                    }
                });
                Map<String, long[]> tv = new LinkedHashMap<>();
                for (JsonNode e : layouts.get("resnet" + depth)) {
                    String name = e.get(0).asText();
                    if (!name.startsWith("fc.")) {
                        long[] shape = new long[e.get(1).size()];
                        for (int k = 0; k < shape.length; k++) {
                            shape[k] = e.get(1).get(k).asLong();
                        }
                        tv.put(name, shape);
                    }
                }
                assertEquals(new java.util.TreeSet<>(tv.keySet()), new java.util.TreeSet<>(ours.keySet()), "ResNet-" + depth);
                tv.forEach((k, v) -> assertArrayEquals(v, ours.get(k), k));
            }
        }
    }

    @Test
    void neckAndHeadHaveMmdetectionNamesAndTheParameterCountIsKnown() {
        try (TensorScope scope = TensorScope.open()) {
            DwDetector refine = new DwDetector(ModelConfig.paper(50, true));
            Map<String, long[]> s = shapes(refine);
            assertArrayEquals(new long[] {256, 512, 1, 1}, s.get("neck.lateral_convs.0.conv.weight"));
            assertArrayEquals(new long[] {256, 2048, 1, 1}, s.get("neck.lateral_convs.2.conv.weight"));
            assertArrayEquals(new long[] {256, 256, 3, 3}, s.get("neck.fpn_convs.4.conv.weight"));
            assertArrayEquals(new long[] {256}, s.get("bbox_head.cls_convs.3.gn.weight"));
            assertArrayEquals(new long[] {256, 256, 3, 3}, s.get("bbox_head.reg_convs.0.conv.weight"));
            assertArrayEquals(new long[] {80, 256, 3, 3}, s.get("bbox_head.conv_cls.weight"));
            assertArrayEquals(new long[] {4}, s.get("bbox_head.conv_reg.bias"));
            assertArrayEquals(new long[] {1, 256, 3, 3}, s.get("bbox_head.conv_centerness.weight"));
            assertArrayEquals(new long[] {8, 256, 3, 3}, s.get("bbox_head.reg_offset.weight"));
            assertArrayEquals(new long[] {}, s.get("bbox_head.scales.4.scale"));
            assertArrayEquals(new long[] {80, 2}, s.get("bbox_head.center_prior.sigma"));
            assertArrayEquals(new long[] {}, s.get("backbone.layer4.2.bn3.num_batches_tracked"));
            // Backbone 23,508,032 (torchvision ResNet-50 without fc) + FPN 3,868,672 + head 4,920,666, + 18,440 for reg_offset.
            assertEquals(32_315_810, refine.parameterCount());
            DwDetector plain = new DwDetector(ModelConfig.paper(50, false));
            assertEquals(32_297_370, plain.parameterCount());
            assertFalse(shapes(plain).containsKey("bbox_head.reg_offset.weight"));
            // frozen_stages = 1: stem and layer1 (215,808 parameters) do not train.
            assertEquals(32_315_810 - 9_408 - 128 - 215_808, refine.trainableParameterCount());
        }
    }

    @Test
    void headInitialisationFollowsTheSpec() {
        try (TensorScope scope = TensorScope.open()) {
            Map<String, Tensor> s = WeightLoader.stateOf(new DwDetector(new ModelConfig(18, 8, 1, 16, 16, 1, 4, 3, true, false)));
            assertEquals(-Math.log(49), Tensors.toDoubles(s.get("bbox_head.conv_cls.bias"))[0], 1e-6);
            assertArrayEquals(new double[] {4, 4, 4, 4}, Tensors.toDoubles(s.get("bbox_head.conv_reg.bias")));
            assertEquals(1.0, s.get("bbox_head.scales.2.scale").item_double());
            assertEquals(1.1100000143051147, Tensors.toDoubles(s.get("bbox_head.center_prior.sigma"))[0]);
            double std = Tensors.toDoubles(s.get("bbox_head.conv_cls.weight").std())[0];
            assertTrue(Math.abs(std - 0.01) < 0.002, "conv_cls weight std " + std);
        }
    }

    /** The same tiny R-50 DW model, plain and with DCNv2 where the DCN config has it, against make_fixtures.py's. */
    @ParameterizedTest
    @CsvSource({"false, tiny_dw_r50", "true, tiny_dw_r50_dcn"})
    void tinyModelMatchesThePyTorchImplementationOnTheSameWeights(boolean dcn, String fixture) throws IOException {
        try (TensorScope scope = TensorScope.open(); NoGradGuard g = new NoGradGuard()) {
            DwDetector model = new DwDetector(new ModelConfig(50, 4, 1, 16, 16, 2, 4, 3, true, dcn));
            LoadReport report = WeightLoader.loadModel(model, Fixtures.path(fixture + "_mmdet.pth"), true);
            assertTrue(report.clean(), report.toString());
            Map<String, Tensor> io = TorchFile.loadStateDict(Fixtures.path(fixture + "_io.pth"));
            List<LevelOutput> out = model.forward(io.get("input")).levels();
            assertEquals(5, out.size());
            for (int l = 0; l < 5; l++) {
                assertClose(io.get("cls_" + l), out.get(l).clsLogits(), "cls_" + l);
                assertClose(io.get("reg_" + l), out.get(l).distances(), "reg_" + l);
                assertClose(io.get("obj_" + l), out.get(l).objLogits(), "obj_" + l);
            }
        }
    }

    @Test
    void movingTheModelUpdatesEveryParameterInPlace() throws IOException {
        // Module.to(...) swaps each parameter's data in place (set_data), so the Java handles that the layers hold see
        // the new dtype or device. Checked with a dtype move, which runs on any machine: a handle left behind would
        // make the float64 forward fail on mixed dtypes.
        try (TensorScope scope = TensorScope.open(); NoGradGuard g = new NoGradGuard()) {
            DwDetector model = new DwDetector(new ModelConfig(50, 4, 1, 16, 16, 2, 4, 3, true, false));
            WeightLoader.loadModel(model, Fixtures.path("tiny_dw_r50_mmdet.pth"), true);
            Map<String, Tensor> io = TorchFile.loadStateDict(Fixtures.path("tiny_dw_r50_io.pth"));
            // Collect garbage first: libtorch's recursive to() calls back into every child's Java object, so children
            // registered from local variables must stay reachable (Layer.child keeps them; `dw detect` once failed here).
            for (int k = 0; k < 3; k++) {
                System.gc();
            }
            model.moveTo(dev.dwjava.core.runtime.ComputeDevice.CPU);
            model.to(org.bytedeco.pytorch.global.torch.ScalarType.Double, false);
            for (Tensor p : model.parameterList()) {
                assertTrue(Tensors.hasType(p, org.bytedeco.pytorch.global.torch.ScalarType.Double));
            }
            List<LevelOutput> out = model.forward(io.get("input").to(org.bytedeco.pytorch.global.torch.ScalarType.Double)).levels();
            for (int l = 0; l < 5; l++) {
                assertTrue(Tensors.hasType(out.get(l).clsLogits(), org.bytedeco.pytorch.global.torch.ScalarType.Double));
                assertClose(io.get("cls_" + l).to(org.bytedeco.pytorch.global.torch.ScalarType.Double), out.get(l).clsLogits(), "cls_" + l);
            }
        }
    }

    @Test
    void torchvisionBackboneWeightsLoadByName() throws IOException {
        try (TensorScope scope = TensorScope.open()) {
            DwDetector model = new DwDetector(ModelConfig.paper(18, false));
            LoadReport r = WeightLoader.loadTorchvisionBackbone(model, Fixtures.path("torchvision_resnet18_const.pth"));
            // resnet18's state dict has 122 tensors (BN statistics included); fc.weight and fc.bias are ignored.
            assertEquals(120, r.loaded());
            Map<String, Tensor> s = WeightLoader.stateOf(model);
            assertEquals(0.0, s.get("backbone.conv1.weight").abs().max().item_double());       // tensor 0 holds 0/1000
            assertEquals(0.001, Tensors.toDoubles(s.get("backbone.bn1.weight"))[5], 1e-9);   // tensor 1 holds 1/1000
            // A model of another depth is refused with the names that do not fit.
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () ->
                    WeightLoader.loadTorchvisionBackbone(new DwDetector(ModelConfig.paper(34, false)),
                            Fixtures.path("torchvision_resnet18_const.pth")));
            assertTrue(e.getMessage().contains("missing"), e.getMessage());
        }
    }

    @Test
    void strictLoadNamesWhatDoesNotFit() {
        try (TensorScope scope = TensorScope.open()) {
            DwDetector model = new DwDetector(new ModelConfig(50, 4, 1, 16, 16, 2, 4, 3, false, false));
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> WeightLoader.loadModel(model, Fixtures.path("tiny_dw_r50_mmdet.pth"), true));
            assertTrue(e.getMessage().contains("unexpected 2 [bbox_head.reg_offset.weight, bbox_head.reg_offset.bias]"),
                    e.getMessage());
        }
    }

    @Test
    void dcnModelHasMmdetectionsDeformableConvs() {
        try (TensorScope scope = TensorScope.open()) {
            Map<String, Tensor> plain = WeightLoader.stateOf(new DwDetector(ModelConfig.paper(50, true)));
            ModelConfig dcnConfig = new ModelConfig(50, 64, 1, 256, 256, 4, 32, 80, true, true);
            Map<String, Tensor> dcn = WeightLoader.stateOf(new DwDetector(dcnConfig));
            // The same tensors plus one 27-channel offset/mask conv per DCNv2: the 3×3 conv of every bottleneck of
            // layer2..4 (4 + 6 + 3) and the last conv of both head towers.
            java.util.List<String> extra = dcn.keySet().stream().filter(k -> !plain.containsKey(k)).sorted().toList();
            assertEquals(2 * (4 + 6 + 3 + 2), extra.size(), extra.toString());
            assertTrue(extra.stream().allMatch(k -> k.contains(".conv_offset.")), extra.toString());
            assertArrayEquals(new long[] {27, 128, 3, 3}, dcn.get("backbone.layer2.0.conv2.conv_offset.weight").shape());
            assertArrayEquals(new long[] {27}, dcn.get("backbone.layer4.2.conv2.conv_offset.bias").shape());
            assertArrayEquals(new long[] {27, 256, 3, 3}, dcn.get("bbox_head.reg_convs.3.conv.conv_offset.weight").shape());
            assertTrue(!dcn.containsKey("backbone.layer1.0.conv2.conv_offset.weight"), "layer1 keeps plain convs");
            assertArrayEquals(plain.get("backbone.layer3.0.conv2.weight").shape(), dcn.get("backbone.layer3.0.conv2.weight").shape());
            // 27·128·9 + 27 per layer2 block, 27·256·9 + 27 per layer3 block and head conv, 27·512·9 + 27 per layer4 block.
            long added = 4 * 31_131L + 6 * 62_235L + 3 * 124_443L + 2 * 62_235L;
            long plainCount = plain.values().stream().mapToLong(Tensor::numel).sum();
            assertEquals(plainCount + added, dcn.values().stream().mapToLong(Tensor::numel).sum());
            // Backbone offsets start at zero; the head's offset convs get the tower's N(0, 0.01) init.
            assertEquals(0.0, dcn.get("backbone.layer2.0.conv2.conv_offset.weight").abs().max().item_double());
            double std = dcn.get("bbox_head.cls_convs.3.conv.conv_offset.weight").std().item_double();
            assertTrue(Math.abs(std - 0.01) < 0.002, "head conv_offset std " + std);
        }
    }

    @Test
    void closeReturnsTheWeightsMemoryAtOnce() {
        // conv_cls of 8000 classes × 256 channels is one 73.7 MB tensor: above glibc's largest mmap threshold (32 MB),
        // so freeing it unmaps it and the process's resident size drops by that much, with no garbage collection.
        DwDetector model = new DwDetector(new ModelConfig(18, 8, 1, 16, 256, 1, 4, 8000, false, false));
        long clsBytes = 8000L * 256 * 3 * 3 * 4;
        long before = org.bytedeco.javacpp.Pointer.physicalBytes();
        model.close();
        long freed = before - org.bytedeco.javacpp.Pointer.physicalBytes();
        assertTrue(freed > clsBytes * 3 / 4, "resident size dropped by " + freed + " bytes, expected about " + clsBytes);
        try (TensorScope scope = TensorScope.open()) {
            assertTrue(WeightLoader.stateOf(model).values().stream().allMatch(t -> t.numel() == 0));
            assertEquals(0, model.parameterCount());
            IllegalStateException e = assertThrows(IllegalStateException.class,
                    () -> model.forward(org.bytedeco.pytorch.global.torch.zeros(1, 3, 32, 32)));
            assertEquals("DwDetector is closed: its weights were freed", e.getMessage());
            assertThrows(IllegalStateException.class, () -> model.moveTo(dev.dwjava.core.runtime.ComputeDevice.CPU));
        }
        model.close();   // idempotent
        assertTrue(model.isClosed());
    }

    @Test
    void dcnNeedsBottleneckBlocks() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new ModelConfig(18, 64, 1, 256, 256, 4, 32, 80, true, true));
        assertTrue(e.getMessage().startsWith("dcn: DCNv2 needs ResNet-50 or 101"), e.getMessage());
    }

    private static void assertClose(Tensor expected, Tensor got, String what) {
        assertArrayEquals(expected.shape(), got.shape(), what);
        double scale = expected.abs().max().item_double();
        double err = expected.sub(got).abs().max().item_double();
        assertTrue(err <= 1e-5 * Math.max(1, scale), what + ": max abs diff " + err + " (scale " + scale + ")");
    }
}
