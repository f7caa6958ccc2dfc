package dev.dwjava.core.reference;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * Differences between a computed JSON block and the expected one, leaf by leaf. The relative error of an entry is
 * measured against the largest magnitude of the array (or scalar) it belongs to, so that gradients with entries near
 * zero are judged on their scale: {@code max|got − exp| / max|exp|}.
 *
 * @param maxAbs   largest absolute difference
 * @param maxRel   largest scale-relative difference
 * @param worstKey path of the entry with the largest relative difference
 * @param problems structural mismatches (missing keys, shapes), empty when the layouts agree
 */
public record Comparison(double maxAbs, double maxRel, String worstKey, List<String> problems) {

    /** Compares {@code got} against {@code expected} recursively over the keys of {@code expected}. */
    public static Comparison of(JsonNode expected, JsonNode got) {
        Accumulator acc = new Accumulator();
        walk(expected, got, "", acc);
        return new Comparison(acc.maxAbs, acc.maxRel, acc.worstKey, List.copyOf(acc.problems));
    }

    /** True when the layouts agree and the relative difference is at most {@code tolerance}. */
    public boolean within(double tolerance) {
        return problems.isEmpty() && maxRel <= tolerance;
    }

    private static final class Accumulator {
        double maxAbs, maxRel;
        String worstKey = "";
        final List<String> problems = new ArrayList<>();
    }

    private static void walk(JsonNode exp, JsonNode got, String path, Accumulator acc) {
        if (exp.isObject()) {
            for (Map.Entry<String, JsonNode> e : exp.properties()) {
                String key = path.isEmpty() ? e.getKey() : path + "." + e.getKey();
                JsonNode g = got == null ? null : got.get(e.getKey());
                if (g == null) {
                    acc.problems.add("missing " + key);
                } else {
                    walk(e.getValue(), g, key, acc);
                }
            }
        } else if (exp.isArray() && exp.size() > 0 && exp.get(0).isObject()) {
            for (int k = 0; k < exp.size(); k++) {
                walk(exp.get(k), got.get(k), path + "[" + k + "]", acc);
            }
        } else if (exp.isArray() && isLevelList(exp)) {
            for (int k = 0; k < exp.size(); k++) {
                compareArray(exp.get(k), got.get(k), path + "[" + k + "]", acc);
            }
        } else {
            compareArray(exp, got, path, acc);
        }
    }

    /** A list of per-level arrays (each a nested list) is compared level by level, each on its own scale. */
    private static boolean isLevelList(JsonNode exp) {
        return exp.get(0) != null && exp.get(0).isArray() && exp.get(0).size() > 0 && exp.get(0).get(0).isArray()
                && exp.get(0).get(0).size() > 0 && exp.get(0).get(0).get(0).isArray();
    }

    private static void compareArray(JsonNode exp, JsonNode got, String path, Accumulator acc) {
        List<double[]> pairs = new ArrayList<>();
        if (!collect(exp, got, pairs)) {
            acc.problems.add("layout differs at " + path);
            return;
        }
        double scale = 0;
        for (double[] p : pairs) {
            if (!Double.isNaN(p[0])) {
                scale = Math.max(scale, Math.abs(p[0]));
            }
        }
        for (double[] p : pairs) {
            boolean bothNaN = Double.isNaN(p[0]) && Double.isNaN(p[1]);
            double abs = bothNaN ? 0 : Math.abs(p[1] - p[0]);
            if (Double.isNaN(abs)) {
                abs = Double.POSITIVE_INFINITY;
            }
            double rel = abs == 0 ? 0 : abs / Math.max(scale, Double.MIN_NORMAL);
            acc.maxAbs = Math.max(acc.maxAbs, abs);
            if (rel > acc.maxRel) {
                acc.maxRel = rel;
                acc.worstKey = path;
            }
        }
    }

    /** Pairs up numeric leaves; null (used for "not defined") compares as NaN. */
    private static boolean collect(JsonNode exp, JsonNode got, List<double[]> out) {
        if (got == null) {
            return false;
        }
        if (exp.isArray()) {
            if (!got.isArray() || got.size() != exp.size()) {
                return false;
            }
            for (int k = 0; k < exp.size(); k++) {
                if (!collect(exp.get(k), got.get(k), out)) {
                    return false;
                }
            }
            return true;
        }
        if ((exp.isNumber() || exp.isNull()) && (got.isNumber() || got.isNull())) {
            out.add(new double[] {exp.isNull() ? Double.NaN : exp.asDouble(), got.isNull() ? Double.NaN : got.asDouble()});
            return true;
        }
        return false;
    }

    @Override
    public String toString() {
        return String.format("max abs diff %.3e, max rel diff %.3e%s%s", maxAbs, maxRel,
                worstKey.isEmpty() ? "" : " (at " + worstKey + ")", problems.isEmpty() ? "" : ", problems: " + problems);
    }
}
