package dev.dwjava.model;

/**
 * The architecture of a DW detector. {@link #paper(int, boolean)} gives the published models; smaller widths give tiny
 * models for tests and the quick-start.
 *
 * @param depth        ResNet depth: 18, 34, 50 or 101
 * @param baseWidth    ResNet stem width (64)
 * @param frozenStages ResNet stages not trained (1: stem and layer1)
 * @param fpnChannels  FPN output channels (256)
 * @param headChannels head tower channels (256)
 * @param stackedConvs convs per head tower (4)
 * @param gnGroups     GroupNorm groups in the head (32)
 * @param numClasses   C (80 for COCO)
 * @param boxRefine    box refinement on (docs/DW_SPEC.md §1.4)
 * @param dcn          DCNv2 in the backbone c3–c5 and as the last conv of both head towers (ResNet-50/101)
 */
public record ModelConfig(int depth, int baseWidth, int frozenStages, int fpnChannels, int headChannels,
                          int stackedConvs, int gnGroups, int numClasses, boolean boxRefine, boolean dcn) {
    /** FPN strides of P3..P7. */
    public static final int[] STRIDES = {8, 16, 32, 64, 128};

    /** Checks every field; a value out of range is an error naming the field. */
    public ModelConfig {
        if (depth != 18 && depth != 34 && depth != 50 && depth != 101) {
            throw new IllegalArgumentException("model.depth must be 18, 34, 50 or 101, found " + depth);
        }
        if (frozenStages < 0 || frozenStages > 4) {
            throw new IllegalArgumentException("model.frozen_stages must be in [0, 4] (0: nothing frozen, 1: stem and layer1), found " + frozenStages);
        }
        positive("baseWidth", baseWidth);
        positive("fpnChannels", fpnChannels);
        positive("headChannels", headChannels);
        positive("stackedConvs", stackedConvs);
        positive("gnGroups", gnGroups);
        positive("numClasses", numClasses);
        if (headChannels % gnGroups != 0) {
            throw new IllegalArgumentException("headChannels (" + headChannels + ") must be divisible by gnGroups (" + gnGroups + ")");
        }
        if (dcn && depth < 50) {
            throw new IllegalArgumentException("dcn: DCNv2 needs ResNet-50 or 101 (bottleneck blocks), found depth " + depth);
        }
    }

    /** The published architecture: ResNet-{depth}, 256-channel FPN and head, 4 convs per tower, COCO's 80 classes. */
    public static ModelConfig paper(int depth, boolean boxRefine) {
        return new ModelConfig(depth, 64, 1, 256, 256, 4, 32, 80, boxRefine, false);
    }

    private static void positive(String name, int v) {
        if (v <= 0) {
            throw new IllegalArgumentException(name + " must be positive, found " + v);
        }
    }
}
