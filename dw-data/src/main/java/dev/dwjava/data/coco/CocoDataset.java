package dev.dwjava.data.coco;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A COCO detection split prepared as mmdetection 2.x prepares it (docs/DW_SPEC.md §5.1): categories mapped to labels
 * 0..C−1 in increasing id order; boxes {@code [x, y, x + w, y + h]}; annotations dropped when flagged {@code ignore},
 * with {@code area ≤ 0}, {@code w < 1} or {@code h < 1}, or not overlapping the image; crowd boxes kept apart (DW does
 * not use them). In training mode images without any annotation or with a short side below 32 px are dropped (as
 * mmdetection's {@code filter_empty_gt}); test mode keeps every image.
 */
public final class CocoDataset {
    /** One image with its usable ground truth (boxes in original-image pixels). */
    public record Entry(CocoJson.Image image, Path file, float[] boxes, int[] labels, float[] crowdBoxes) {
        public int numBoxes() {
            return labels.length;
        }
    }

    private final Path annotations;
    private final List<Entry> entries;
    private final long[] categoryIds;
    private final List<String> categoryNames;
    private final int droppedAnnotations, droppedImages;

    private CocoDataset(Path annotations, List<Entry> entries, long[] categoryIds, List<String> categoryNames,
                        int droppedAnnotations, int droppedImages) {
        this.annotations = annotations;
        this.entries = entries;
        this.categoryIds = categoryIds;
        this.categoryNames = categoryNames;
        this.droppedAnnotations = droppedAnnotations;
        this.droppedImages = droppedImages;
    }

    /**
     * @param annotations instances JSON
     * @param imageRoot   folder the {@code file_name}s are relative to; names escaping it are refused
     * @param train       apply the training filters
     */
    public static CocoDataset load(Path annotations, Path imageRoot, boolean train) throws IOException {
        return load(annotations, imageRoot, train, false);
    }

    /**
     * @param linksOutsideRoot accept images that are symbolic links to files outside the image root (a folder of
     *                         links into another dataset); refused by default, like file names that climb out of it
     */
    public static CocoDataset load(Path annotations, Path imageRoot, boolean train, boolean linksOutsideRoot) throws IOException {
        CocoJson.Instances in = CocoJson.readInstances(annotations);
        long[] catIds = in.categories().stream().mapToLong(CocoJson.Category::id).sorted().toArray();
        Map<Long, Integer> label = new HashMap<>();
        Map<Long, String> names = new HashMap<>();
        in.categories().forEach(c -> names.put(c.id(), c.name()));
        List<String> catNames = new ArrayList<>();
        for (int k = 0; k < catIds.length; k++) {
            label.put(catIds[k], k);
            catNames.add(names.get(catIds[k]));
        }
        Map<Long, CocoJson.Image> images = new HashMap<>();
        for (CocoJson.Image im : in.images()) {
            if (images.put(im.id(), im) != null) {
                throw new IOException(annotations + ": image id " + im.id() + " appears twice");
            }
        }
        Map<Long, List<CocoJson.Annotation>> byImage = new HashMap<>();
        for (int i = 0; i < in.annotations().size(); i++) {
            CocoJson.Annotation a = in.annotations().get(i);
            if (!images.containsKey(a.imageId())) {
                throw new IOException(annotations + ": annotations[" + i + "] (id " + a.id() + ") refers to unknown image "
                        + a.imageId());
            }
            if (!label.containsKey(a.categoryId())) {
                throw new IOException(annotations + ": annotations[" + i + "] (id " + a.id() + ") refers to unknown category "
                        + a.categoryId());
            }
            byImage.computeIfAbsent(a.imageId(), k -> new ArrayList<>()).add(a);
        }
        Path root = imageRoot.toAbsolutePath().normalize();
        // The root itself may be a link (data/coco -> /datasets/coco, as mmdetection's docs suggest): compare real paths.
        Path realRoot = linksOutsideRoot || !Files.exists(root) ? null : root.toRealPath();
        List<Entry> entries = new ArrayList<>();
        int droppedAnns = 0, droppedImages = 0;
        for (CocoJson.Image im : in.images()) {
            List<Float> boxes = new ArrayList<>(), crowd = new ArrayList<>();
            List<Integer> labels = new ArrayList<>();
            for (CocoJson.Annotation a : byImage.getOrDefault(im.id(), List.of())) {
                double iw = Math.max(0, Math.min(a.x() + a.w(), im.width()) - Math.max(a.x(), 0));
                double ih = Math.max(0, Math.min(a.y() + a.h(), im.height()) - Math.max(a.y(), 0));
                if (a.ignore() || iw * ih == 0 || a.area() <= 0 || a.w() < 1 || a.h() < 1) {
                    droppedAnns++;
                    continue;
                }
                List<Float> target = a.crowd() ? crowd : boxes;
                target.add((float) a.x());
                target.add((float) a.y());
                target.add((float) (a.x() + a.w()));
                target.add((float) (a.y() + a.h()));
                if (!a.crowd()) {
                    labels.add(label.get(a.categoryId()));
                }
            }
            // mmdetection's filter_empty_gt drops images without any annotation in the file (117,266 of COCO train's
            // 118,287 remain); an image whose boxes were all filtered out stays, with no boxes.
            if (train && (!byImage.containsKey(im.id()) || Math.min(im.width(), im.height()) < 32)) {
                droppedImages++;
                continue;
            }
            entries.add(new Entry(im, resolve(root, realRoot, im, annotations), toFloats(boxes),
                    labels.stream().mapToInt(Integer::intValue).toArray(), toFloats(crowd)));
        }
        return new CocoDataset(annotations, Collections.unmodifiableList(entries), catIds, List.copyOf(catNames),
                droppedAnns, droppedImages);
    }

    private static Path resolve(Path root, Path realRoot, CocoJson.Image im, Path annotations) throws IOException {
        if (im.fileName() == null) {
            throw new IOException(annotations + ": image " + im.id() + " has no file_name");
        }
        Path p = root.resolve(im.fileName()).normalize();
        if (!p.startsWith(root)) {
            throw new IOException(annotations + ": image " + im.id() + " file_name '" + im.fileName()
                    + "' points outside the image root " + root);
        }
        if (realRoot != null && Files.exists(p)) {
            // A link inside the root can lead anywhere: follow it and check where it ends.
            Path target = p.toRealPath();
            if (!target.startsWith(realRoot)) {
                throw new IOException(annotations + ": image " + im.id() + " '" + im.fileName() + "' is a link to " + target
                        + ", outside the image root " + realRoot + "; set data.links_outside_root: true if that is intended");
            }
        }
        return p;
    }

    private static float[] toFloats(List<Float> v) {
        float[] out = new float[v.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = v.get(i);
        }
        return out;
    }

    /**
     * This rank's share of a sharded evaluation: the consecutive blocks of {@code block} images numbered
     * {@code rank, rank + world, ...}. With {@code block} equal to the test batch size every image is batched (and so
     * padded) exactly as in a single-process run, which makes the detections identical.
     */
    public CocoDataset shard(int rank, int world, int block) {
        List<Entry> mine = new ArrayList<>();
        for (int b = rank * block; b < entries.size(); b += world * block) {
            mine.addAll(entries.subList(b, Math.min(entries.size(), b + block)));
        }
        return new CocoDataset(annotations, Collections.unmodifiableList(mine), categoryIds, categoryNames, 0, 0);
    }

    public List<Entry> entries() {
        return entries;
    }

    public int size() {
        return entries.size();
    }

    /** COCO category id of each label. */
    public long[] categoryIds() {
        return categoryIds.clone();
    }

    /** Category names in label order. */
    public List<String> categoryNames() {
        return categoryNames;
    }

    public Path annotations() {
        return annotations;
    }

    /**
     * Checks that {@code classes} (a config's class names, in label order) are this dataset's category names in
     * category-id order, as mmdetection's class-number check does: labels would otherwise map to wrong categories.
     *
     * @param source where {@code classes} came from, for the message (e.g. the config file)
     * @throws IllegalArgumentException naming the first difference
     */
    public void checkClasses(List<String> classes, String source) {
        for (int k = 0; k < Math.max(classes.size(), categoryNames.size()); k++) {
            String want = k < classes.size() ? classes.get(k) : null, have = k < categoryNames.size() ? categoryNames.get(k) : null;
            if (!java.util.Objects.equals(want, have)) {
                throw new IllegalArgumentException(source + " lists " + classes.size() + " classes but " + annotations + " has "
                        + categoryNames.size() + " categories; they first differ at label " + k + ": "
                        + (want == null ? "(none)" : "'" + want + "'") + " in the config vs "
                        + (have == null ? "(none)" : "'" + have + "' (category id " + categoryIds[k] + ")") + " in the dataset"
                        + " (categories are taken in id order; make the config's classes match them)");
            }
        }
    }

    @Override
    public String toString() {
        return annotations.getFileName() + ": " + entries.size() + " images, " + categoryIds.length + " categories ("
                + droppedImages + " images and " + droppedAnnotations + " annotations filtered out)";
    }
}
