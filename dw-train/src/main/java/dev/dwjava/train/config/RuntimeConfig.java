package dev.dwjava.train.config;

import dev.dwjava.core.runtime.ComputeDevice;

/**
 * The {@code runtime} section.
 *
 * @param pretrained         backbone initialisation: {@code torchvision://resnet50} (resolved to a local file, see
 *                           {@code PretrainedWeights}), a path, or null for random init
 * @param seed               drives sampling, augmentation and initialisation
 * @param logInterval        iterations between log lines
 * @param checkpointInterval epochs between checkpoints (the last epoch always saves)
 * @param evalInterval       epochs between evaluations on the val split (0: never)
 * @param keepCheckpoints    checkpoints kept in the work dir
 * @param device             {@code cpu} (default), {@code cuda} (in a distributed run: the local rank's GPU) or
 *                           {@code cuda:N}
 * @param tensorboard        write TensorBoard event files of the logged scalars to {@code <work dir>/tf_logs}
 *                           (absent: true)
 */
public record RuntimeConfig(String pretrained, long seed, int logInterval, int checkpointInterval, int evalInterval,
                            int keepCheckpoints, String device, Boolean tensorboard) {
    public RuntimeConfig {
        tensorboard = tensorboard == null || tensorboard;
        DataConfig.require(logInterval > 0 && checkpointInterval > 0 && evalInterval >= 0 && keepCheckpoints > 0,
                "runtime: log_interval, checkpoint_interval and keep_checkpoints must be positive, eval_interval ≥ 0");
        try {
            ComputeDevice.parse(device);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("runtime.device: " + e.getMessage(), e);
        }
    }

    /** The parsed {@link #device}. */
    public ComputeDevice computeDevice() {
        return ComputeDevice.parse(device);
    }
}
