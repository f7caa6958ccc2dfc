package dev.dwjava.core.runtime;

import org.bytedeco.javacpp.Pointer;
import org.bytedeco.javacpp.PointerScope;

/**
 * A {@link PointerScope} that frees every native object made inside it at {@link #close()}, except the ones it
 * explicitly {@link #handOut hands out} to the enclosing scope.
 *
 * <pre>{@code
 * try (TensorScope scope = TensorScope.open()) {
 *     Tensor tmp = a.mul(b);             // freed at close
 *     return scope.handOut(tmp.sum());   // survives into the caller's scope
 * }
 * }</pre>
 *
 * <p>Handing out to the enclosing scope keeps ownership with the loop that created the work: a training step opens
 * one scope per iteration and everything made in the step is gone when the iteration ends. With no enclosing scope,
 * a handed-out object keeps one reference of its own and is freed by the garbage collector.
 */
public final class TensorScope implements AutoCloseable {
    private final PointerScope parent;
    private final PointerScope scope;

    private TensorScope() {
        this.parent = PointerScope.getInnerScope();
        this.scope = new PointerScope();
    }

    /** Opens a scope nested in the current thread's innermost scope (if any). */
    public static TensorScope open() {
        return new TensorScope();
    }

    /**
     * Lets {@code p} outlive this scope: it is attached to the enclosing scope, or, without one, keeps a reference
     * of its own.
     *
     * @return {@code p}, for chaining
     */
    public <T extends Pointer> T handOut(T p) {
        if (parent != null) {
            parent.attach(p);
        } else {
            p.retainReference();
        }
        return p;
    }

    /**
     * Lets {@code p} outlive this scope without attaching it to any other: the caller then holds one reference and
     * must either {@link #adopt} it in the thread and scope that will use it or {@link Pointer#releaseReference()
     * release} it. For objects made ahead of the scope that will own them (a batch that worker threads fill).
     *
     * @return {@code p}, for chaining
     */
    public <T extends Pointer> T detach(T p) {
        p.retainReference();
        return p;
    }

    /**
     * Gives a {@link #detach detached} object to the current thread's innermost scope, which frees it when it closes;
     * without a scope it keeps its reference and is freed by the garbage collector.
     *
     * @return {@code p}, for chaining
     */
    public static <T extends Pointer> T adopt(T p) {
        PointerScope inner = PointerScope.getInnerScope();
        if (inner != null) {
            inner.attach(p);
            p.releaseReference();
        }
        return p;
    }

    @Override
    public void close() {
        scope.close();
    }
}
