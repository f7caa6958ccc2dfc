package dev.dwjava.train.config;

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
 */
public record RuntimeConfig(String pretrained, long seed, int logInterval, int checkpointInterval, int evalInterval,
                            int keepCheckpoints) {
    public RuntimeConfig {
        DataConfig.require(logInterval > 0 && checkpointInterval > 0 && evalInterval >= 0 && keepCheckpoints > 0,
                "runtime: log_interval, checkpoint_interval and keep_checkpoints must be positive, eval_interval ≥ 0");
    }
}
