package dev.dwjava.core.dw;

/** The constants of the released DW code (docs/DW_SPEC.md §3.11), named after their role in the paper. */
public final class DwConstants {
    private DwConstants() {}

    /**
     * 2σ² of the Gaussian center prior. σ is the float32 parameter 1.11 of the original, squared in float32
     * (1.232100009918213) and doubled; a float64 run uses this exact value, as the original did.
     */
    public static final double TWO_SIGMA_SQUARED = 2.0 * (double) (1.11f * 1.11f);
    /** Regression weight inside the localization score {@code p_loc = exp(−5·(1 − GIoU))} (β). */
    public static final double LOC_SCORE_SCALE = 5.0;
    /** Sharpness μ of the positive weight numerator {@code exp(5t)·t}. */
    public static final double POS_NUMERATOR_SHARPNESS = 5.0;
    /** Sharpness of the positive weight normalizer {@code Σ exp(3t)·t} (deliberately not 5). */
    public static final double POS_NORMALIZER_SHARPNESS = 3.0;
    /** IoU below which P_neg is 1 (strict). */
    public static final double NEG_IOU_THRESHOLD = 0.5;
    /** {@code 1 / (0.5^γ1 − 1)} with γ1 = 2, the slope of the P_neg transform {@code c·IoU² − c}. */
    public static final double NEG_TRANSFORM_SLOPE = 1.0 / (Math.pow(0.5, 2) - 1.0);
    /** Eps of the weight normalizations. */
    public static final double WEIGHT_EPS = 1e-12;
    /** Scalar of the positive classification and localization terms. */
    public static final double POS_TERM_SCALE = 0.25;
}
