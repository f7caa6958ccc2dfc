package dev.dwjava.train.config;

import java.util.Iterator;
import java.util.Map;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.databind.JsonNode;

/**
 * {@code runtime.checkpoint_interval}: a checkpoint every {@code epochs} epochs ({@code epoch_N.pth}) or every
 * {@code iters} iterations ({@code iter_N.pth}); exactly one of the two is positive. In YAML a plain number counts
 * epochs (as it always did), {@code {epochs: 2}} says so explicitly and {@code {iters: 500}} counts iterations.
 */
public record CheckpointInterval(int epochs, int iters) {
    private static final String FORMS = "runtime.checkpoint_interval must be a positive number of epochs (2), {epochs: 2}"
            + " or {iters: 500}";

    public CheckpointInterval {
        DataConfig.require(epochs >= 0 && iters >= 0 && (epochs > 0) != (iters > 0), FORMS + ", found epochs " + epochs
                + ", iters " + iters);
    }

    public static CheckpointInterval everyEpochs(int n) {
        return new CheckpointInterval(n, 0);
    }

    public static CheckpointInterval everyIters(int n) {
        return new CheckpointInterval(0, n);
    }

    /** Whether checkpoints are counted in iterations. */
    public boolean byIters() {
        return iters > 0;
    }

    @JsonCreator(mode = JsonCreator.Mode.DELEGATING)
    public static CheckpointInterval parse(JsonNode n) {
        if (n.isIntegralNumber() && n.canConvertToInt() && n.asInt() > 0) {
            return everyEpochs(n.asInt());
        }
        if (n.isObject() && n.size() == 1) {
            Iterator<Map.Entry<String, JsonNode>> it = n.fields();
            Map.Entry<String, JsonNode> e = it.next();
            JsonNode v = e.getValue();
            if (v.isIntegralNumber() && v.canConvertToInt() && v.asInt() > 0) {
                if (e.getKey().equals("epochs")) {
                    return everyEpochs(v.asInt());
                }
                if (e.getKey().equals("iters")) {
                    return everyIters(v.asInt());
                }
            }
        }
        throw new IllegalArgumentException(FORMS + ", found " + n);
    }

    @Override
    public String toString() {
        return byIters() ? "every " + iters + " iterations" : "every " + epochs + " epochs";
    }
}
