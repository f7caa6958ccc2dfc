package dev.dwjava.model.nn;

import java.util.ArrayList;
import java.util.List;

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
 * <p>The contract that makes it exact: a tensor that a recorded convolution reads is read by nothing else that
 * autograd differentiates (autograd would otherwise have propagated through its producer already). The head's towers
 * keep it: each conv reads the previous GroupNorm + ReLU, the first reads the FPN level, which only the two towers
 * read. Gradients of inputs that several recorded convolutions read (the FPN levels) are summed before they flow on,
 * so the graph behind them is traversed once.
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

    /** One recorded call: {@code conv} over {@code inputs} (in the graph), their channels-last values, the leaves. */
    private record Entry(Conv2d conv, List<Tensor> inputs, List<Tensor> values, List<Tensor> leaves) {}

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
            leaves = WinogradConv.forward(conv, null, views);
        }
        for (Tensor y : leaves) {
            keep(y).requires_grad_(true);
        }
        List<Tensor> in = new ArrayList<>(inputs.size());
        for (Tensor x : inputs) {
            in.add(keep(new Tensor(x)));
        }
        entries.add(new Entry(conv, in, views, leaves));
        return leaves;
    }

    /** How many convolution calls were recorded. */
    public int recorded() {
        return entries.size();
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
            Entry en = entries.get(e);
            List<Tensor> dys = new ArrayList<>(en.leaves.size());
            boolean any = false;
            for (Tensor y : en.leaves) {
                Tensor g = y.grad();
                any |= g.defined();
                dys.add(g.defined() ? g : torch.zeros_like(y));
            }
            if (!any) {
                continue;   // nothing reached these outputs: no gradient for the weights or the inputs
            }
            TensorVector roots = new TensorVector(), grads = new TensorVector();
            Conv2d conv = en.conv;
            try (NoGradGuard g = new NoGradGuard()) {
                if (conv.weight.requires_grad()) {
                    roots.push_back(conv.weight);
                    grads.push_back(WinogradConv.gradWeight(conv, en.values, dys));
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
                    List<Tensor> dx = WinogradConv.gradInput(conv, dys);
                    for (int i = 0; i < dx.size(); i++) {
                        // In the input's own layout: a channels-last gradient into an NCHW graph (the FPN's) would
                        // make every conv backward behind it reorder (measured: the backbone's backward 10-15% slower).
                        Tensor x = en.inputs.get(i), d = dx.get(i);
                        add(pendingInputs, pendingGrads, x, x.is_contiguous() ? d.contiguous() : d);
                    }
                }
            }
            // Inputs that no earlier recorded call reads have all their gradient now: they flow on with this call.
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
    }

    /** Adds {@code grad} to the pending gradient of {@code input} (the same tensor read by several calls). */
    private static void add(List<Tensor> inputs, List<Tensor> grads, Tensor input, Tensor grad) {
        for (int i = 0; i < inputs.size(); i++) {
            if (inputs.get(i).is_same(input)) {
                grads.set(i, grads.get(i).add(grad));
                return;
            }
        }
        inputs.add(input);
        grads.add(grad);
    }

    /** Whether a call recorded before entry {@code e} reads {@code t}. */
    private boolean readBefore(int e, Tensor t) {
        for (int k = 0; k < e; k++) {
            for (Tensor x : entries.get(k).inputs) {
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
        for (Tensor t : kept) {
            t.releaseReference();
        }
        kept.clear();
        entries.clear();
    }
}
