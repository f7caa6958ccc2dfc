package dev.dwjava.train.config;

import java.nio.file.Path;
import java.util.List;

import dev.dwjava.model.ModelConfig;
import dev.dwjava.model.config.ConfigFiles;
import dev.dwjava.model.inference.TestPipeline;
import dev.dwjava.model.postprocess.TestConfig;
import dev.dwjava.train.solver.SolverConfig;

/**
 * A whole experiment config (one YAML file with its {@code base} chain), bound strictly: an unknown key or a wrong type
 * is an error naming the key and the file.
 *
 * @param model   architecture
 * @param test    post-processing
 * @param data    datasets and augmentation
 * @param solver  optimisation and schedule
 * @param runtime logging, checkpoints, evaluation, seed, pretrained weights
 * @param classes class names, in label order
 */
public record DwConfig(ModelConfig model, TestConfig test, DataConfig data, SolverConfig solver, RuntimeConfig runtime,
                       List<String> classes) {
    public DwConfig {
        DataConfig.require(model != null && test != null && data != null && solver != null && runtime != null
                && classes != null, "a config needs the sections model, test, data, solver, runtime and classes");
        DataConfig.require(classes.size() == model.numClasses(), "classes lists " + classes.size()
                + " names but model.num_classes is " + model.numClasses());
        classes = List.copyOf(classes);
    }

    /** Loads, merges and binds {@code file} with {@code key=value} overrides. */
    public static Loaded load(Path file, List<String> overrides) {
        ConfigFiles.Tree tree = ConfigFiles.load(file, overrides);
        Loaded loaded = new Loaded(tree.bind(DwConfig.class), tree);
        loaded.testPipeline();   // a test scale the test pipeline cannot use fails at load, not after training
        return loaded;
    }

    /** A bound config and the merged tree it came from (printed and saved next to checkpoints). */
    public record Loaded(DwConfig config, ConfigFiles.Tree tree) {
        public String yaml() {
            return ConfigFiles.toYaml(tree);
        }

        /** The test-time pipeline (the one used by {@code dw test}, the evaluation in training and the Detector). */
        public TestPipeline testPipeline() {
            return TestPipeline.fromConfig(tree);
        }

        /** The config's name: its file name without extension. */
        public String name() {
            return tree.file().getFileName().toString().replaceFirst("\\.ya?ml$", "");
        }
    }
}
