package dev.dwjava.model.weights;

import java.util.List;

/**
 * What a weight load did, by tensor name.
 *
 * @param source     the file loaded
 * @param loaded     tensors copied into the model
 * @param missing    model tensors the file did not provide
 * @param unexpected file tensors the model has no place for
 * @param mismatched tensors present in both with different shapes ("name: file [..] vs model [..]")
 */
public record LoadReport(String source, int loaded, List<String> missing, List<String> unexpected, List<String> mismatched) {

    /** True when every model tensor was loaded and nothing was left over or mismatched. */
    public boolean clean() {
        return missing.isEmpty() && unexpected.isEmpty() && mismatched.isEmpty();
    }

    @Override
    public String toString() {
        return "loaded " + loaded + " tensors from " + source
                + (missing.isEmpty() ? "" : "; missing " + missing.size() + " " + head(missing))
                + (unexpected.isEmpty() ? "" : "; unexpected " + unexpected.size() + " " + head(unexpected))
                + (mismatched.isEmpty() ? "" : "; shape mismatch " + mismatched.size() + " " + head(mismatched));
    }

    private static String head(List<String> names) {
        return names.size() <= 8 ? names.toString() : names.subList(0, 8) + " ...";
    }
}
