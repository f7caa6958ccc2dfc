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
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

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
     * {@code backbone.} with mmcv's non-strict rule: what matches by name and shape is copied, the rest is reported
     * (one log line; the returned report lists the backbone's missing tensors, the file's unexpected ones and shape
     * mismatches). Not reported as missing: {@code num_batches_tracked}, which the V1 files predate (it stays 0, as
     * PyTorch fills it in; our batch norms never update it), and the DCNv2 offset convs, which are not ImageNet
     * weights (they stay zero, as in mmdetection). The classifier {@code fc.*} is ignored.
     *
     * <p>The file is refused, as clearly the wrong one, unless at least {@value #MIN_COVERED_PERCENT}% of the
     * backbone's tensors were loaded from it and at least {@value #MIN_COVERED_PERCENT}% of the file's tensors
     * found a place (both counted without {@code num_batches_tracked}, DCN offsets and {@code fc.*}). A depth or width
     * mismatch fails this: a ResNet-50 file covers 51% of a ResNet-101 (and only 51% of a ResNet-101 file fits a
     * ResNet-50), a ResNet-18 file 56% of a ResNet-34, and another width mismatches every tensor.
     *
     * @throws IllegalArgumentException naming the file and what did not fit
     */
    public static LoadReport loadTorchvisionBackbone(Module model, Path file) throws IOException {
        Map<String, Tensor> src = TorchFile.loadStateDict(file);
        LoadReport r = load(model, src, "backbone.", name -> name.startsWith("fc."), false, file.toString());
        List<String> counted = new ArrayList<>();
        try (TensorScope scope = TensorScope.open()) {
            for (String name : stateOf(model).keySet()) {
                if (name.startsWith("backbone.") && counts(name)) {
                    counted.add(name);
                }
            }
        }
        List<String> missing = r.missing().stream().filter(n -> n.startsWith("backbone.") && counts(n)).toList();
        long mismatchedCounted = r.mismatched().stream().filter(m -> counts(m.substring(0, m.indexOf(':')))).count();
        long loaded = counted.size() - missing.size() - mismatchedCounted;
        long inFile = src.keySet().stream().filter(k -> !k.startsWith("fc.") && counts(k)).count();
        long absentCounters = r.missing().stream().filter(n -> n.startsWith("backbone.") && n.endsWith(".num_batches_tracked")).count();
        LoadReport scoped = new LoadReport(r.source(), r.loaded(), missing, r.unexpected(), r.mismatched());
        if (loaded == 0 || loaded * 100 < MIN_COVERED_PERCENT * (long) counted.size() || loaded * 100 < MIN_COVERED_PERCENT * inFile) {
            throw new IllegalArgumentException(file + " does not fit this backbone (" + (loaded == 0 ? "nothing matched"
                    : loaded + " of its " + counted.size() + " tensors loaded, from a file of " + inFile)
                    + "; it needs torchvision's ResNet of the configured depth at base width 64): " + scoped);
        }
        String summary = "backbone weights: " + scoped + (absentCounters == 0 ? ""
                : "; " + absentCounters + " num_batches_tracked not in the file (kept at 0)");
        if (scoped.clean()) {
            LOG.info(summary);
        } else {
            LOG.warn(summary);
        }
        return scoped;
    }

    private static final int MIN_COVERED_PERCENT = 90;
    private static final Logger LOG = LoggerFactory.getLogger(WeightLoader.class);

    /** Whether a tensor counts towards the backbone's coverage (see {@link #loadTorchvisionBackbone}). */
    private static boolean counts(String name) {
        return !name.endsWith(".num_batches_tracked") && !name.contains(".conv_offset.");
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
