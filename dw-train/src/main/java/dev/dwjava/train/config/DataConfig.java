package dev.dwjava.train.config;

import java.util.List;

/**
 * The {@code data} section: datasets, resize scales, augmentation and batching (docs/DW_SPEC.md §5.1).
 *
 * @param train            training split
 * @param val              validation split (evaluated during training and by {@code dw test})
 * @param trainScale       training resize: long edge cap and short edge [min, max] (a range samples per image)
 * @param testScale        test resize (short edge [800, 800] for the DW configs)
 * @param flip             horizontal flip probability in training
 * @param imagesPerProcess images per batch of one process (the total batch is this × processes)
 * @param workers          data loading threads
 * @param synthetic        when set, the splits are generated (dw make-synthetic) if their files are missing
 * @param testImagesPerProcess images per forward at test time (absent: 1, as the original; more is faster but not
 *                         bit-identical, see {@code TestPipeline})
 * @param ignoreOrientation decode images without applying their EXIF orientation (absent: false, i.e. applied, as
 *                         mmcv's {@code LoadImageFromFile} with {@code color_type='color'} does)
 * @param linksOutsideRoot accept images that are symbolic links to files outside their image folder (absent: false)
 */
public record DataConfig(Split train, Split val, Scale trainScale, Scale testScale, double flip, int imagesPerProcess,
                         int workers, Synthetic synthetic, Integer testImagesPerProcess, Boolean ignoreOrientation,
                         Boolean linksOutsideRoot) {
    public DataConfig {
        linksOutsideRoot = linksOutsideRoot != null && linksOutsideRoot;
        testImagesPerProcess = testImagesPerProcess == null ? 1 : testImagesPerProcess;
        ignoreOrientation = ignoreOrientation != null && ignoreOrientation;
        require(testImagesPerProcess > 0, "data.test_images_per_process must be positive, found " + testImagesPerProcess);
        require(train != null, "data.train is required");
        require(val != null, "data.val is required");
        require(trainScale != null && testScale != null, "data.train_scale and data.test_scale are required");
        require(flip >= 0 && flip <= 1, "data.flip must be in [0, 1], found " + flip);
        require(imagesPerProcess > 0, "data.images_per_process must be positive, found " + imagesPerProcess);
        require(workers >= 0, "data.workers must be ≥ 0, found " + workers);
    }

    /** A COCO-format split: instances JSON and the image folder its {@code file_name}s are relative to. */
    public record Split(String annotations, String images) {
        public Split {
            require(annotations != null && images != null, "a split needs 'annotations' and 'images'");
        }
    }

    /**
     * Keep-ratio resize target: the image is scaled so that its long edge ≤ {@code longEdge} and its short edge ≤ a
     * short edge drawn uniformly from the integers in {@code shortEdge = [min, max]} (mmdetection's {@code range} mode).
     */
    public record Scale(int longEdge, List<Integer> shortEdge) {
        /** Largest edge a scale may ask for: 4× COCO's 1333, far beyond any DW recipe, and a bound on a batch's memory. */
        public static final int MAX_EDGE = 5333;

        public Scale {
            require(longEdge > 0 && longEdge <= MAX_EDGE, "scale.long_edge must be in [1, " + MAX_EDGE + "], found " + longEdge);
            require(shortEdge == null || shortEdge.stream().allMatch(v -> v != null && v <= MAX_EDGE),
                    "scale.short_edge values must be at most " + MAX_EDGE + ", found " + shortEdge);
            require(shortEdge != null && shortEdge.size() == 2 && shortEdge.get(0) > 0 && shortEdge.get(0) <= shortEdge.get(1),
                    "scale.short_edge must be [min, max] with 0 < min ≤ max, found " + shortEdge);
            shortEdge = List.copyOf(shortEdge);
        }

        public int minShort() {
            return shortEdge.get(0);
        }

        public int maxShort() {
            return shortEdge.get(1);
        }
    }

    /** Size of a generated synthetic COCO dataset. */
    public record Synthetic(int train, int val, int size, long seed) {
        public Synthetic {
            require(train > 0 && val > 0 && size >= 32, "data.synthetic needs train > 0, val > 0 and size ≥ 32");
        }
    }

    static void require(boolean ok, String message) {
        if (!ok) {
            throw new IllegalArgumentException(message);
        }
    }
}
