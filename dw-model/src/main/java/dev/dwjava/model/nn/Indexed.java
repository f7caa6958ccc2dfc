package dev.dwjava.model.nn;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

import org.bytedeco.pytorch.Module;

/** A list of children named "0", "1", ... (PyTorch's ModuleList/Sequential naming). */
public final class Indexed<M extends Module> extends Layer {
    private final List<M> items = new ArrayList<>();

    /** Appends {@code module} as the next child, named by its index, and returns it. */
    public M add(M module) {
        items.add(child(Integer.toString(items.size()), module));
        return module;
    }

    /** The child named {@code i}. */
    public M get(int i) {
        return items.get(i);
    }

    /** The number of children. */
    public int size() {
        return items.size();
    }

    /** The children in index order (read-only view). */
    public List<M> items() {
        return Collections.unmodifiableList(items);
    }
}
