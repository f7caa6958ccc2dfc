package dev.dwjava.model.nn;

import org.bytedeco.pytorch.Module;
import org.bytedeco.pytorch.Tensor;

/**
 * Base of our libtorch modules: registers parameters, buffers and children under the names PyTorch state dicts use,
 * and keeps a Java handle to each that survives any {@code PointerScope} open while the model is built.
 */
public abstract class Layer extends Module {

    /** Registers a parameter (a leaf that requires grad unless {@code trainable} is false). */
    protected final Tensor parameter(String name, Tensor init, boolean trainable) {
        return own(register_parameter(name, init, trainable));
    }

    /** Registers a buffer (state that is saved but not trained). */
    protected final Tensor buffer(String name, Tensor init) {
        return own(register_buffer(name, init));
    }

    /**
     * register_* return a reference into the module's parameter table, which moves when the table grows; keep a
     * tensor of our own (sharing the same storage) that no enclosing scope frees.
     */
    private static Tensor own(Tensor registered) {
        Tensor t = new Tensor(registered);
        t.retainReference();
        return t;
    }

    /**
     * This module's parameters (its children's included) as owning handles. Iterate this rather than
     * {@code parameters().get()}, whose elements point into a temporary vector.
     */
    public final java.util.List<Tensor> parameterList() {
        org.bytedeco.pytorch.StringTensorDict dict = named_parameters();
        java.util.List<Tensor> out = new java.util.ArrayList<>();
        for (long k = 0; k < dict.size(); k++) {
            out.add(new Tensor(dict.get(k).value()));
        }
        return out;
    }

    /**
     * Java children of this module. libtorch's recursive calls (e.g. {@code to(device)}) call back into each child's
     * Java object through JavaCPP; a child registered from a local variable would otherwise be collectable and make
     * those calls fail with a NullPointerException depending on GC timing.
     */
    private final java.util.List<Module> javaChildren = new java.util.ArrayList<>();

    /**
     * Frees state derived from the weights for speed (e.g. {@link Conv2d}'s Winograd transform) in this module and its
     * children; it is computed again when next needed.
     */
    public void releaseDerived() {
        for (Module m : javaChildren) {
            if (m instanceof Layer l) {
                l.releaseDerived();
            }
        }
    }

    /** Registers a child module (and keeps its Java object reachable as long as this one is). */
    protected final <M extends Module> M child(String name, M module) {
        javaChildren.add(module);
        return register_module(name, module);
    }
}
