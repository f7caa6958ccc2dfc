package dev.dwjava.model.nn;

import java.util.ArrayList;
import java.util.List;

import dev.dwjava.core.runtime.TensorScope;
import org.bytedeco.pytorch.BoolOptional;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;

/**
 * CPU training with {@link WinogradConv}: the convolutions recorded here run outside autograd, their outputs enter
 * the graph as leaves, and {@link #backward()}, called right after the loss's own {@code backward()}, computes their
 * weights' and inputs' gradients natively (last convolution first) and hands the inputs' gradients back to autograd.
 * libtorch through JavaCPP offers no custom autograd function, and a tensor hook per convolution would exceed
 * JavaCPP's ten live callbacks per hook type; cutting the graph at each such convolution needs neither.
 *
 * <p>The contract that makes it exact: a tensor that a recorded convolution reads is a leaf (a {@link #cut}, another
 * recorded convolution's output) or is read by nothing else that autograd differentiates (autograd would otherwise
 * have propagated through its producer already). The head's towers keep it: each conv reads the previous GroupNorm +
 * ReLU, the first an FPN output. So do a ResNet bottleneck's 3×3 conv (it reads the first 1×1 conv's ReLU) and the
 * FPN's output convs (they read cut sums), with the backbone cut after every block. Gradients of inputs that several
 * recorded convolutions read (the FPN levels) are summed before they flow on, so the graph behind them is traversed
 * once.
 *
 * <pre>{@code
 * try (WinogradTape tape = WinogradTape.open()) {
 *     HeadOutputs out = model.forward(images);   // layers that can, record their convolutions on the tape
 *     Tensor loss = ...;
 *     loss.backward();
 *     tape.backward();                           // before the gradients are read
 * }
 * }</pre>
 *
 * One tape per thread at a time; layers find it with {@link #active()}. Closing releases what it kept for backward.
 */
public final class WinogradTape implements AutoCloseable {
    private static final ThreadLocal<WinogradTape> ACTIVE = new ThreadLocal<>();

    /** What the tape holds, in the order of the forward: its backward goes through them last first. */
    private sealed interface Entry permits ConvEntry, CutEntry {}

    /** One recorded call: {@code conv} over {@code inputs} (in the graph), their channels-last values, the leaves. */
    private record ConvEntry(Conv2d conv, List<Tensor> inputs, List<Tensor> values, List<Tensor> leaves) implements Entry {}

    /** A cut ({@link #cut}): the graph's {@code value}, and the leaf that its readers got instead. */
    private record CutEntry(Tensor value, Tensor leaf) implements Entry {}

    /**
     * The arithmetic of the recorded convolutions, apart from the bookkeeping around it: {@link WinogradConv}'s. Tests
     * put libtorch's exact convolution here to check the bookkeeping alone (cuts, order, summed inputs) to float
     * rounding, since Winograd's own error (tested in {@code WinogradConvTest}) flips the odd ReLU near zero in a deep
     * net and so moves a few gradients by far more than its 1e-5.
     */
    interface Arithmetic {
        /** The outputs (channels-last) of {@code conv} over channels-last {@code inputs}. */
        List<Tensor> forward(Conv2d conv, List<Tensor> inputs);

        /** The inputs' gradients from the outputs' gradients. */
        List<Tensor> gradInput(Conv2d conv, List<Tensor> outputGrads);

        /** The weights' gradient, summed over the inputs. */
        Tensor gradWeight(Conv2d conv, List<Tensor> inputs, List<Tensor> outputGrads);
    }

    static final Arithmetic WINOGRAD = new Arithmetic() {
        @Override
        public List<Tensor> forward(Conv2d conv, List<Tensor> inputs) {
            return WinogradConv.forward(conv, null, inputs);
        }

        @Override
        public List<Tensor> gradInput(Conv2d conv, List<Tensor> outputGrads) {
            return WinogradConv.gradInput(conv, outputGrads);
        }

        @Override
        public Tensor gradWeight(Conv2d conv, List<Tensor> inputs, List<Tensor> outputGrads) {
            return WinogradConv.gradWeight(conv, inputs, outputGrads);
        }
    };

    static volatile Arithmetic arithmetic = WINOGRAD;

    private final List<Entry> entries = new ArrayList<>();
    private final List<Tensor> kept = new ArrayList<>();
    private boolean backwardDone;
    private boolean closed;

    private WinogradTape() {}

    /** Opens this thread's tape; layers record on it until it is closed. */
    public static WinogradTape open() {
        if (ACTIVE.get() != null) {
            throw new IllegalStateException("a WinogradTape is already open on this thread");
        }
        WinogradTape t = new WinogradTape();
        ACTIVE.set(t);
        return t;
    }

    /** This thread's open tape, or null. */
    public static WinogradTape active() {
        return ACTIVE.get();
    }

    /** Whether {@code conv} over {@code x} can be recorded (autograd on, the convolution {@link WinogradConv#trainable}). */
    public boolean records(Conv2d conv, Tensor x) {
        return !closed && !backwardDone && org.bytedeco.pytorch.GradMode.is_enabled() && WinogradConv.trainable(conv, x);
    }

    /**
     * {@code conv} over {@code inputs} (same image count and channels), as one Winograd call; the outputs are new
     * leaves of the graph whose gradients {@link #backward()} turns into those of the weights and the inputs.
     *
     * @return channels-last outputs, one per input
     */
    public List<Tensor> forward(Conv2d conv, List<Tensor> inputs) {
        return forward(conv, inputs, true);
    }

    /**
     * As {@link #forward(Conv2d, List)}, the outputs channels-last or, with {@code channelsLast} false, contiguous
     * NCHW: for a graph around it that runs in NCHW (a backbone with no frozen stage), where a channels-last tensor
     * would make the layers after it reorder, forward and backward.
     */
    public List<Tensor> forward(Conv2d conv, List<Tensor> inputs, boolean channelsLast) {
        if (!records(conv, inputs.get(0))) {
            throw new IllegalStateException("this convolution cannot be recorded on the Winograd tape (closed, after"
                    + " backward, autograd off or not a Winograd convolution)");
        }
        List<Tensor> views = new ArrayList<>(inputs.size()), leaves;
        try (NoGradGuard g = new NoGradGuard()) {
            for (Tensor x : inputs) {
                // Channels-last in memory (no copy when x already is), NCHW in shape.
                Tensor t = x.detach().permute(0, 2, 3, 1).contiguous();
                views.add(keep(t.permute(0, 3, 1, 2)));
            }
            leaves = arithmetic.forward(conv, views);
            if (!channelsLast) {
                List<Tensor> nchw = new ArrayList<>(leaves.size());
                for (Tensor y : leaves) {
                    nchw.add(y.contiguous());
                }
                leaves = nchw;
            }
        }
        for (Tensor y : leaves) {
            keep(y).requires_grad_(true);
        }
        List<Tensor> in = new ArrayList<>(inputs.size());
        for (Tensor x : inputs) {
            in.add(keep(new Tensor(x)));
        }
        entries.add(new ConvEntry(conv, in, views, leaves));
        return leaves;
    }

    /**
     * Cuts the graph at {@code y}: returns a leaf with y's value for every reader of y, and {@link #backward()} hands
     * the leaf's gradient on through y's graph once all readers have added theirs. That makes a convolution whose input
     * has other readers recordable: behind a cut, autograd never reaches a graph that a recorded convolution's input
     * gradient must go through later (ResNet blocks: the input feeds the shortcut and the first conv; FPN: a level's
     * sum feeds its output conv and the next level's upsampling). Returns {@code y} itself when nothing is recorded
     * (tape closed, autograd off, y needs no gradient).
     */
    public Tensor cut(Tensor y) {
        if (closed || backwardDone || !org.bytedeco.pytorch.GradMode.is_enabled() || !y.requires_grad()) {
            return y;
        }
        Tensor leaf;
        try (NoGradGuard g = new NoGradGuard()) {
            leaf = keep(y.detach());
        }
        leaf.requires_grad_(true);
        entries.add(new CutEntry(keep(new Tensor(y)), leaf));
        return leaf;
    }

    /** How many convolution calls were recorded. */
    public int recorded() {
        int n = 0;
        for (Entry e : entries) {
            if (e instanceof ConvEntry) {
                n++;
            }
        }
        return n;
    }

    /** How many cuts were made. */
    public int cuts() {
        return entries.size() - recorded();
    }

    private Tensor keep(Tensor t) {
        t.retainReference();
        kept.add(t);
        return t;
    }

    /**
     * The recorded convolutions' backward, last first: weights' (and biases') gradients accumulated into their
     * {@code grad}, inputs' gradients passed on through autograd. Call once, after the loss's {@code backward()}.
     */
    public void backward() {
        if (closed || backwardDone) {
            throw new IllegalStateException("WinogradTape.backward() runs once, before close()");
        }
        backwardDone = true;
        List<Tensor> pendingInputs = new ArrayList<>();
        List<Tensor> pendingGrads = new ArrayList<>();
        for (int e = entries.size() - 1; e >= 0; e--) {
            // One scope per entry: its gradients, the turned weights' transform and the copies are freed as soon as
            // autograd has taken them, as its own engine frees a node's (kept to the step's end, they raised the peak
            // RSS of an R-50 step at batch 2 × 512² from 2.3–2.6 to 2.8–3.0 GB).
            try (TensorScope scope = TensorScope.open()) {
                backward(e, pendingInputs, pendingGrads, scope);
            }
        }
    }

    /** Entry {@code e}'s backward (see {@link #backward()}). */
    private void backward(int e, List<Tensor> pendingInputs, List<Tensor> pendingGrads, TensorScope scope) {
        TensorVector roots = new TensorVector(), grads = new TensorVector();
        if (entries.get(e) instanceof CutEntry cut) {
            Tensor g = cut.leaf.grad();
            if (g.defined()) {
                roots.push_back(cut.value);
                grads.push_back(g);
            }
            flush(e, pendingInputs, pendingGrads, roots, grads);
            return;
        }
        ConvEntry en = (ConvEntry) entries.get(e);
        List<Tensor> dys = new ArrayList<>(en.leaves.size());
        boolean any = false;
        for (Tensor y : en.leaves) {
            Tensor g = y.grad();
            any |= g.defined();
            dys.add(g.defined() ? g : torch.zeros_like(y));
        }
        if (!any) {
            flush(e, pendingInputs, pendingGrads, roots, grads);
            return;   // nothing reached these outputs: no gradient for the weights or the inputs
        }
        Conv2d conv = en.conv;
        try (NoGradGuard g = new NoGradGuard()) {
            if (conv.weight.requires_grad()) {
                roots.push_back(conv.weight);
                grads.push_back(arithmetic.gradWeight(conv, en.values, dys));
            }
            if (conv.bias != null && conv.bias.requires_grad()) {
                Tensor db = null;
                for (Tensor dy : dys) {
                    Tensor s = dy.sum(new long[] {0, 2, 3});
                    db = db == null ? s : db.add(s);
                }
                roots.push_back(conv.bias);
                grads.push_back(db);
            }
            if (en.inputs.get(0).requires_grad()) {
                List<Tensor> dx = arithmetic.gradInput(conv, dys);
                for (int i = 0; i < dx.size(); i++) {
                    // In the input's own layout: a channels-last gradient into an NCHW graph (the FPN's) would
                    // make every conv backward behind it reorder (measured: the backbone's backward 10-15% slower).
                    Tensor x = en.inputs.get(i), d = dx.get(i);
                    add(pendingInputs, pendingGrads, x, x.is_contiguous() ? d.contiguous() : d, scope);
                }
            }
        }
        flush(e, pendingInputs, pendingGrads, roots, grads);
    }

    /**
     * Runs autograd from {@code roots} and from the pending inputs that no entry before {@code e} reads (they have all
     * their gradient now).
     */
    private void flush(int e, List<Tensor> pendingInputs, List<Tensor> pendingGrads, TensorVector roots,
                       TensorVector grads) {
        for (int i = pendingInputs.size() - 1; i >= 0; i--) {
            if (!readBefore(e, pendingInputs.get(i))) {
                roots.push_back(pendingInputs.remove(i));
                grads.push_back(pendingGrads.remove(i));
            }
        }
        if (roots.size() > 0) {
            torch.backward(roots, grads, new BoolOptional(), false, new TensorVector());
        }
    }

    /**
     * Adds {@code grad} to the pending gradient of {@code input} (the same tensor read by several calls); the pending
     * gradient outlives the entry's {@code scope} (until the step's ends).
     */
    private static void add(List<Tensor> inputs, List<Tensor> grads, Tensor input, Tensor grad, TensorScope scope) {
        for (int i = 0; i < inputs.size(); i++) {
            if (inputs.get(i).is_same(input)) {
                grads.set(i, scope.handOut(grads.get(i).add(grad)));
                return;
            }
        }
        inputs.add(input);
        grads.add(scope.handOut(grad));
    }

    /** Whether a call recorded before entry {@code e} reads {@code t}. */
    private boolean readBefore(int e, Tensor t) {
        for (int k = 0; k < e; k++) {
            if (!(entries.get(k) instanceof ConvEntry c)) {
                continue;
            }
            for (Tensor x : c.inputs) {
                if (x.is_same(t)) {
                    return true;
                }
            }
        }
        return false;
    }

    /** Releases what the tape kept and ends it on this thread. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        if (ACTIVE.get() == this) {
            ACTIVE.remove();
        }
        for (Entry e : entries) {
            // The forward's weight transforms are stale once the optimiser steps: free them now, not at the next step.
            if (e instanceof ConvEntry c) {
                c.conv.releaseDerived();
            }
        }
        for (Tensor t : kept) {
            t.releaseReference();
        }
        kept.clear();
        entries.clear();
    }
}
