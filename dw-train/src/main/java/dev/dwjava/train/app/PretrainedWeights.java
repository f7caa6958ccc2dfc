package dev.dwjava.train.app;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * Resolves {@code runtime.pretrained}. {@code torchvision://resnet50} names torchvision's ImageNet weights (the "V1"
 * set, DW_SPEC §1.1); nothing is downloaded: the file ({@code resnet50-*.pth}, as torchvision names it) is looked up in
 * {@code $DW_PRETRAINED_DIR} and in torch's cache {@code ~/.cache/torch/hub/checkpoints}. Anything else is a path.
 */
public final class PretrainedWeights {
    private PretrainedWeights() {}

    public static Path resolve(String spec) throws IOException {
        if (!spec.startsWith("torchvision://")) {
            Path p = Path.of(spec);
            if (!Files.isRegularFile(p)) {
                throw new IllegalArgumentException("runtime.pretrained: file not found: " + p);
            }
            return p;
        }
        String arch = spec.substring("torchvision://".length());
        List<Path> dirs = new ArrayList<>();
        String env = System.getenv("DW_PRETRAINED_DIR");
        if (env != null) {
            dirs.add(Path.of(env));
        }
        dirs.add(Path.of(System.getProperty("user.home"), ".cache", "torch", "hub", "checkpoints"));
        for (Path dir : dirs) {
            if (Files.isDirectory(dir)) {
                try (Stream<Path> files = Files.list(dir)) {
                    var hit = files.filter(f -> f.getFileName().toString().matches(arch + "-[0-9a-f]+\\.pth")).sorted().findFirst();
                    if (hit.isPresent()) {
                        return hit.get();
                    }
                }
            }
        }
        throw new IllegalArgumentException("runtime.pretrained: " + spec + " needs torchvision's ImageNet weights file "
                + arch + "-<hash>.pth (the classic V1 weights, e.g. resnet50-19c8e357.pth) in $DW_PRETRAINED_DIR or " + dirs.get(dirs.size() - 1)
                + "; dw-java downloads nothing. Or set runtime.pretrained=null to train from scratch.");
    }
}
