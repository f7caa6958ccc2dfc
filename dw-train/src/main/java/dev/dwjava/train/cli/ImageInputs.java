package dev.dwjava.train.cli;

import java.io.IOException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.PathMatcher;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Stream;

/**
 * The images a {@code dw detect --image} names: one file, every image file under a folder (recursively), or a glob
 * such as {@code 'data/val/*.jpg'} (quoted, so that dw expands it; {@code **} crosses folders). Each image has a name
 * relative to its base (the folder, or the glob's part before its first wildcard), which names its picture in
 * {@code --out-dir} and is matched against {@code file_name}s of {@code --ann}. Sorted by that name.
 */
final class ImageInputs {
    /** Extensions taken from a folder or a glob (case-insensitive). */
    static final Set<String> EXTENSIONS = Set.of("jpg", "jpeg", "png", "bmp", "tif", "tiff", "gif");

    /** An input image and its name relative to the base. */
    record Input(Path file, String name) {}

    /** What {@code --image} named and whether it was a single file. */
    record Resolved(List<Input> inputs, boolean single) {}

    private ImageInputs() {}

    static Resolved resolve(String spec) throws IOException {
        if (spec.chars().anyMatch(c -> c == '*' || c == '?' || c == '[' || c == '{')) {
            return new Resolved(glob(spec), false);
        }
        Path p = Path.of(spec);
        if (Files.isRegularFile(p)) {
            return new Resolved(List.of(new Input(p, p.getFileName().toString())), true);
        }
        if (Files.isDirectory(p)) {
            List<Input> found = walk(p, p, null);
            if (found.isEmpty()) {
                throw new IllegalArgumentException("--image " + p + ": the folder holds no image files ("
                        + String.join(", ", EXTENSIONS.stream().sorted().toList()) + ")");
            }
            return new Resolved(found, false);
        }
        throw new IllegalArgumentException("--image " + p + ": file not found (no such file or folder)");
    }

    private static List<Input> glob(String spec) throws IOException {
        // The base: the leading path components without wildcards.
        String[] parts = spec.split("/", -1);
        StringBuilder base = new StringBuilder(spec.startsWith("/") ? "/" : "");
        int first = 0;
        for (; first < parts.length - 1; first++) {
            String c = parts[first];
            if (c.chars().anyMatch(ch -> ch == '*' || ch == '?' || ch == '[' || ch == '{')) {
                break;
            }
            if (!c.isEmpty()) {
                base.append(c).append('/');
            }
        }
        Path root = Path.of(base.length() == 0 ? "." : base.toString());
        if (!Files.isDirectory(root)) {
            throw new IllegalArgumentException("--image " + spec + ": the folder " + root + " does not exist");
        }
        String pattern = String.join("/", java.util.Arrays.copyOfRange(parts, first, parts.length));
        PathMatcher m = FileSystems.getDefault().getPathMatcher("glob:" + pattern);
        List<Input> found = walk(root, root, m);
        if (found.isEmpty()) {
            throw new IllegalArgumentException("--image " + spec + ": no image file matches");
        }
        return found;
    }

    private static List<Input> walk(Path root, Path dir, PathMatcher matcher) throws IOException {
        List<Input> out = new ArrayList<>();
        try (Stream<Path> s = Files.walk(dir, java.nio.file.FileVisitOption.FOLLOW_LINKS)) {
            for (Path f : (Iterable<Path>) s::iterator) {
                Path rel = root.relativize(f);
                String ext = f.getFileName().toString().replaceFirst("^.*\\.", "").toLowerCase(Locale.ROOT);
                if (Files.isRegularFile(f) && (matcher == null ? EXTENSIONS.contains(ext) : matcher.matches(rel))) {
                    out.add(new Input(f, rel.toString().replace('\\', '/')));
                }
            }
        }
        out.sort(java.util.Comparator.comparing(Input::name));
        return out;
    }
}
