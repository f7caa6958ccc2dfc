package dev.dwjava.train.app;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Resolves {@code runtime.pretrained}. {@code torchvision://resnetN} (N = 18, 34, 50, 101) names torchvision's
 * ImageNet "V1" weights, which the DW recipe was trained from (docs/DW_SPEC.md §1.1); nothing is downloaded. The file is
 * looked up by its exact published names, the original legacy-format file (e.g. {@code resnet50-19c8e357.pth}, what
 * mmcv with torchvision ≤ 0.9 fetched) or torchvision's re-saved zip copy of the same weights ({@code
 * resnet50-0676ba61.pth}, torchvision ≥ 0.10 and mmcv's {@code torchvision_0.12.json}), in the directory of the
 * system property {@code dw.pretrained.dir}, then {@code $DW_PRETRAINED_DIR}, then torch's cache
 * {@code ~/.cache/torch/hub/checkpoints}. Any other {@code resnetN-<hash>.pth} (the V2 weights, an unknown hash) is
 * refused, naming it. Anything else is a path.
 */
public final class PretrainedWeights {
    /** Accepted V1 file names per architecture: legacy original first, then torchvision's re-saved zip copy. */
    static final Map<String, List<String>> V1 = Map.of(
            "resnet18", List.of("resnet18-5c106cde.pth", "resnet18-f37072fd.pth"),
            "resnet34", List.of("resnet34-333f7ec4.pth", "resnet34-b627a593.pth"),
            "resnet50", List.of("resnet50-19c8e357.pth", "resnet50-0676ba61.pth"),
            "resnet101", List.of("resnet101-5d3b4d8f.pth", "resnet101-63fe2227.pth"));
    /** torchvision's IMAGENET1K_V2 files (torchvision ≥ 0.13), a different training recipe. */
    private static final List<String> V2 = List.of("resnet50-11ad3fa6.pth", "resnet101-cd907fc2.pth");

    private PretrainedWeights() {}

    /** {@link #resolve(String, List)} over {@link #searchDirs()}. */
    public static Path resolve(String spec) throws IOException {
        return resolve(spec, searchDirs());
    }

    /** Where {@code torchvision://} weights are looked up, in order: {@code -Ddw.pretrained.dir}, {@code $DW_PRETRAINED_DIR}, torch's cache. */
    public static List<Path> searchDirs() {
        List<Path> dirs = new ArrayList<>();
        String prop = System.getProperty("dw.pretrained.dir");
        if (prop != null && !prop.isBlank()) {
            dirs.add(Path.of(prop));
        }
        String env = System.getenv("DW_PRETRAINED_DIR");
        if (env != null && !env.isBlank()) {
            dirs.add(Path.of(env));
        }
        dirs.add(Path.of(System.getProperty("user.home"), ".cache", "torch", "hub", "checkpoints"));
        return dirs;
    }

    /**
     * @param dirs where to look for {@code torchvision://} weights, in order
     * @throws IllegalArgumentException when nothing acceptable is found, naming what was found and why it is refused
     */
    public static Path resolve(String spec, List<Path> dirs) throws IOException {
        if (!spec.startsWith("torchvision://")) {
            Path p = Path.of(spec);
            if (!Files.isRegularFile(p)) {
                throw new IllegalArgumentException("runtime.pretrained: file not found: " + p);
            }
            return p;
        }
        String arch = spec.substring("torchvision://".length());
        List<String> accepted = V1.get(arch);
        if (accepted == null) {
            throw new IllegalArgumentException("runtime.pretrained: " + spec + " is not supported; use torchvision://resnet18,"
                    + " resnet34, resnet50 or resnet101 (the ResNet depths dw-java builds), or a file path");
        }
        for (Path dir : dirs) {
            for (String name : accepted) {
                Path p = dir.resolve(name);
                if (Files.isRegularFile(p)) {
                    return p;
                }
            }
        }
        String names = String.join(" or ", accepted);
        for (Path dir : dirs) {
            if (!Files.isDirectory(dir)) {
                continue;
            }
            try (Stream<Path> files = Files.list(dir)) {
                var other = files.filter(f -> f.getFileName().toString().matches(arch + "-[0-9a-f]+\\.pth")).sorted().findFirst();
                if (other.isPresent()) {
                    String why = V2.contains(other.get().getFileName().toString())
                            ? "it holds torchvision's IMAGENET1K_V2 weights, which differ from the V1 weights the DW recipe"
                            + " was trained from (docs/DW_SPEC.md §1.1)"
                            : "its hash is not one of torchvision's V1 " + arch + " files (docs/DW_SPEC.md §1.1 needs the V1 weights)";
                    throw new IllegalArgumentException("runtime.pretrained: " + spec + " found " + other.get() + ", but " + why
                            + ". Accepted: " + names + " (both the V1 weights), searched in " + dirs
                            + "; or give a file path to use another file on purpose.");
                }
            }
        }
        throw new IllegalArgumentException("runtime.pretrained: " + spec + " needs torchvision's V1 ImageNet weights, " + names
                + ", in one of " + dirs + " (-Ddw.pretrained.dir, $DW_PRETRAINED_DIR, torch's cache); dw-java downloads"
                + " nothing. Or set runtime.pretrained=null to train from scratch.");
    }
}
