package dev.dwjava.model;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.ArrayList;
import java.util.List;

import dev.dwjava.core.runtime.TensorScope;
import dev.dwjava.core.runtime.Torch;
import dev.dwjava.core.tensor.Tensors;
import dev.dwjava.model.head.LevelOutput;
import dev.dwjava.model.nn.WinogradConv;
import dev.dwjava.model.weights.WeightLoader;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The whole detector's CPU inference with the Winograd convolutions (channels-last backbone, all head levels in one
 * call) against the same model with them switched off: every head output within 1e-4 of its largest magnitude, for the
 * plain, refined and DCN architectures at channel counts where every 3×3 stride-1 conv takes the Winograd path, with
 * random norm statistics and scales (so that no layer is an identity).
 */
class WinogradDetectorTest {
    @BeforeAll
    static void init() {
        Torch.init();
    }

    @ParameterizedTest
    @CsvSource({"50, false, false", "50, true, false", "50, true, true", "18, false, false"})
    void sameOutputsAsLibtorchConvolutions(int depth, boolean refine, boolean dcn) {
        assumeTrue(WinogradConv.available(), "the Winograd library is not built or not supported here: skipped");
        try (TensorScope scope = TensorScope.open(); NoGradGuard g = new NoGradGuard()) {
            torch.manual_seed(depth + (refine ? 1 : 0) + (dcn ? 2 : 0));
            DwDetector model = new DwDetector(new ModelConfig(depth, 16, 1, 64, 64, 4, 32, 16, refine, dcn));
            WeightLoader.stateOf(model).forEach((name, t) -> {
                if (name.endsWith("running_var")) {
                    t.copy_(torch.rand(t.sizes().vec().get()).add(Tensors.s(0.5)));
                } else if (name.endsWith("running_mean") || name.contains("gn.") || name.startsWith("bbox_head.scales")) {
                    t.copy_(torch.randn(t.sizes().vec().get()).mul(Tensors.s(0.1)).add(Tensors.s(name.endsWith("weight") || name.contains("scales") ? 1.0 : 0.0)));
                }
            });
            Tensor x = torch.randn(2, 3, 160, 224);
            List<LevelOutput> fast = model.forward(x).levels();
            List<LevelOutput> plain;
            WinogradConv.setEnabled(false);
            try {
                plain = model.forward(x).levels();
            } finally {
                WinogradConv.setEnabled(true);
            }
            for (int l = 0; l < plain.size(); l++) {
                List<Tensor[]> pairs = new ArrayList<>();
                pairs.add(new Tensor[] {plain.get(l).clsLogits(), fast.get(l).clsLogits()});
                pairs.add(new Tensor[] {plain.get(l).distances(), fast.get(l).distances()});
                pairs.add(new Tensor[] {plain.get(l).objLogits(), fast.get(l).objLogits()});
                String[] names = {"cls", "distances", "objectness"};
                for (int k = 0; k < 3; k++) {
                    Tensor a = pairs.get(k)[0], b = pairs.get(k)[1];
                    double scale = a.abs().max().item_double(), diff = a.sub(b).abs().max().item_double();
                    assertTrue(scale > 0 && diff <= 1e-4 * scale, "R-" + depth + (refine ? " refine" : "")
                            + (dcn ? " dcn" : "") + " P" + (l + 3) + " " + names[k] + ": " + diff + " at " + scale);
                }
            }
        }
    }
}
