package dev.dwjava.model.weights;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

import dev.dwjava.core.runtime.TensorScope;
import org.bytedeco.pytorch.Module;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.StringTensorDict;
import org.bytedeco.pytorch.Tensor;

/**
 * Copies tensors from a state dict into a module by name (parameters and buffers), converting dtypes, and reports
 * what was missing, unexpected or of a different shape. Strict loads fail on any of these.
 */
public final class WeightLoader {
    private WeightLoader() {}

    /**
     * The module's parameters and buffers by their state-dict names. The handles belong to the caller's scope; keep
     * them beyond it with {@code retainReference()}.
     */
    public static Map<String, Tensor> stateOf(Module module) {
        Map<String, Tensor> out = new LinkedHashMap<>();
        put(out, module.named_parameters());
        put(out, module.named_buffers());
        return out;
    }

    private static void put(Map<String, Tensor> out, StringTensorDict dict) {
        for (long k = 0; k < dict.size(); k++) {
            // value() points into the temporary dict: take a tensor of our own (same storage).
            out.put(dict.get(k).key().getString(), new Tensor(dict.get(k).value()));
        }
    }

    /**
     * Loads a whole-model checkpoint: an mmdetection/mmcv checkpoint of the DW model, or a state dict we exported.
     *
     * @param strict fail when any tensor is missing, unexpected or mismatched
     */
    public static LoadReport loadModel(Module model, Path file, boolean strict) throws IOException {
        return load(model, TorchFile.loadStateDict(file), "", name -> false, strict, file.toString());
    }

    /**
     * Loads torchvision ImageNet ResNet weights (keys {@code conv1.weight}, {@code layer1.0...}) into the model's
     * {@code backbone.}; the classifier {@code fc.*} is ignored. Only backbone tensors are reported as missing.
     */
    public static LoadReport loadTorchvisionBackbone(Module model, Path file) throws IOException {
        Map<String, Tensor> src = TorchFile.loadStateDict(file);
        LoadReport r = load(model, src, "backbone.", name -> name.startsWith("fc."), false, file.toString());
        // DCNv2 offset/mask convs are not ImageNet weights: they stay zero, as in mmdetection.
        List<String> missingBackbone = r.missing().stream()
                .filter(n -> n.startsWith("backbone.") && !n.contains(".conv_offset.")).toList();
        LoadReport scoped = new LoadReport(r.source(), r.loaded(), missingBackbone, r.unexpected(), r.mismatched());
        if (!scoped.clean()) {
            throw new IllegalArgumentException("not a torchvision ResNet of this depth/width: " + scoped);
        }
        return scoped;
    }

    /**
     * Copies {@code src} into {@code model}.
     *
     * @param prefix prepended to every source name before matching
     * @param ignore source names to skip silently
     */
    public static LoadReport load(Module model, Map<String, Tensor> src, String prefix, Predicate<String> ignore,
                                  boolean strict, String source) {
        Map<String, Tensor> dst = stateOf(model);
        List<String> unexpected = new ArrayList<>(), mismatched = new ArrayList<>();
        List<String> seen = new ArrayList<>();
        int loaded = 0;
        try (TensorScope scope = TensorScope.open(); NoGradGuard g = new NoGradGuard()) {
            for (Map.Entry<String, Tensor> e : src.entrySet()) {
                if (ignore.test(e.getKey())) {
                    continue;
                }
                String name = prefix + e.getKey();
                Tensor target = dst.get(name);
                if (target == null) {
                    unexpected.add(name);
                } else if (!Arrays.equals(target.shape(), e.getValue().shape())) {
                    mismatched.add(name + ": file " + Arrays.toString(e.getValue().shape()) + " vs model "
                            + Arrays.toString(target.shape()));
                    seen.add(name);
                } else {
                    target.copy_(e.getValue().to(target.scalar_type()));
                    seen.add(name);
                    loaded++;
                }
            }
        }
        List<String> missing = new ArrayList<>(dst.keySet());
        missing.removeAll(seen);
        LoadReport report = new LoadReport(source, loaded, missing, unexpected, mismatched);
        if (strict && !report.clean()) {
            throw new IllegalArgumentException("strict load failed: " + report);
        }
        return report;
    }
}
