package dev.dwjava.train.config;

import dev.dwjava.core.runtime.ComputeDevice;
import dev.dwjava.core.runtime.Precision;

/**
 * The {@code runtime} section.
 *
 * @param pretrained         backbone initialisation: {@code torchvision://resnet50} (resolved to a local file, see
 *                           {@code PretrainedWeights}), a path, or null for random init
 * @param seed               drives sampling, augmentation and initialisation
 * @param logInterval        iterations between log lines
 * @param checkpointInterval epochs ({@code epoch_N.pth}) or iterations ({@code iter_N.pth}) between checkpoints, see
 *                           {@link CheckpointInterval}; the last epoch always saves {@code epoch_N.pth}
 * @param evalInterval       epochs between evaluations on the val split (0: never)
 * @param keepCheckpoints    checkpoints kept in the work dir
 * @param device             {@code cpu} (default), {@code cuda} (in a distributed run: the local rank's GPU) or
 *                           {@code cuda:N}
 * @param saveBest           a metric of the evaluation ({@code bbox_mAP}, ...) or null (absent): after each
 *                           evaluation that improves it, the checkpoint {@code best_<metric>_epoch_N.pth} replaces the
 *                           previous best (never pruned by {@code keep_checkpoints})
 * @param tensorboard        write TensorBoard event files of the logged scalars to {@code <work dir>/tf_logs}
 *                           (absent: true)
 * @param amp                mixed precision of the training forward: {@code off} (absent), {@code bf16} (CPU or GPU)
 *                           or {@code fp16} (GPU, with a dynamic loss scale), or {@code auto} (fp16 on a GPU, bf16
 *                           on a CPU); see {@link Precision}
 * @param ema                an exponential moving average of the weights, evaluated and saved instead of them (absent
 *                           or null: none)
 */
public record RuntimeConfig(String pretrained, long seed, int logInterval, CheckpointInterval checkpointInterval,
                            int evalInterval, int keepCheckpoints, String device, String saveBest, Boolean tensorboard,
                            String amp, Ema ema) {
    /**
     * {@code runtime.ema}: mmdetection's {@code ExpMomentumEMA} (absent keys: its defaults).
     *
     * @param momentum      final momentum, in (0, 1) (absent: 0.0002)
     * @param gamma         decay of the momentum's exponential term, in updates (absent: 2000)
     * @param interval      iterations between averaging updates (absent: 1)
     * @param updateBuffers average floating buffers too instead of copying them (absent: false)
     */
    public record Ema(Double momentum, Double gamma, Integer interval, Boolean updateBuffers) {
        public Ema {
            momentum = momentum == null ? dev.dwjava.train.solver.ExpMomentumEma.MOMENTUM : momentum;
            gamma = gamma == null ? dev.dwjava.train.solver.ExpMomentumEma.GAMMA : gamma;
            interval = interval == null ? 1 : interval;
            updateBuffers = updateBuffers != null && updateBuffers;
            DataConfig.require(momentum > 0 && momentum < 1 && gamma > 0 && interval >= 1, "runtime.ema: momentum must be in"
                    + " (0, 1), gamma > 0 and interval ≥ 1, found momentum " + momentum + ", gamma " + gamma + ", interval "
                    + interval);
        }
    }

    /** The evaluation's metrics, in the order of COCO's first six stats (what {@code save_best} may name). */
    public static final java.util.List<String> METRICS = java.util.List.of("bbox_mAP", "bbox_mAP_50", "bbox_mAP_75",
            "bbox_mAP_s", "bbox_mAP_m", "bbox_mAP_l");

    public RuntimeConfig {
        tensorboard = tensorboard == null || tensorboard;
        DataConfig.require(checkpointInterval != null, "runtime.checkpoint_interval is required: a number of epochs (2),"
                + " {epochs: 2} or {iters: 500}");
        DataConfig.require(logInterval > 0 && evalInterval >= 0 && keepCheckpoints > 0,
                "runtime: log_interval and keep_checkpoints must be positive, eval_interval ≥ 0");
        DataConfig.require(saveBest == null || METRICS.contains(saveBest), "runtime.save_best must be one of " + METRICS
                + " or null, found '" + saveBest + "'");
        DataConfig.require(saveBest == null || evalInterval > 0, "runtime.save_best needs evaluations: set"
                + " runtime.eval_interval > 0 or save_best: null");
        try {
            ComputeDevice.parse(device);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("runtime.device: " + e.getMessage(), e);
        }
        try {
            Precision.parse(amp, ComputeDevice.parse(device)).requireSupportedOn(ComputeDevice.parse(device));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(e.getMessage().startsWith("runtime.amp") ? e.getMessage()
                    : "runtime." + e.getMessage(), e);
        }
    }

    /** The parsed {@link #amp}. */
    public Precision precision() {
        return Precision.parse(amp, computeDevice());
    }

    /** The parsed {@link #device}. */
    public ComputeDevice computeDevice() {
        return ComputeDevice.parse(device);
    }
}
