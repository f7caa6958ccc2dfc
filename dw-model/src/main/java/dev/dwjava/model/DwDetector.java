package dev.dwjava.model;

import dev.dwjava.core.runtime.ComputeDevice;


import dev.dwjava.model.backbone.ResNet;
import dev.dwjava.model.head.DwHead;
import dev.dwjava.model.head.HeadOutputs;
import dev.dwjava.model.neck.Fpn;
import dev.dwjava.core.runtime.TensorScope;
import dev.dwjava.model.nn.Layer;
import dev.dwjava.model.weights.WeightLoader;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;

/**
 * FCOS-ResNet-FPN with the DW head (docs/DW_SPEC.md §1). Parameter names equal the mmdetection model's
 * ({@code backbone.*}, {@code neck.*}, {@code bbox_head.*}), so official checkpoints load by name.
 *
 * <p>There is no train/eval difference: backbone batch norms always use their running statistics (docs/DW_SPEC.md §1.1)
 * and group norm has no state, so {@code train()}/{@code eval()} need not be called.
 *
 * <p>The input is a normalised, zero-padded (B, 3, H, W) float batch with H and W multiples of 32.
 *
 * <p>{@link #close()} frees the parameters' and buffers' memory at once, rather than when the garbage collector gets
 * to the handles. Not thread-safe: one forward at a time ({@code Detector} serialises its callers).
 */
public final class DwDetector extends Layer implements AutoCloseable {
    private final ModelConfig config;
    private final ResNet backbone;
    private final Fpn neck;
    private final DwHead head;
    private ComputeDevice device = ComputeDevice.CPU;
    private volatile boolean closed;

    /** Builds the architecture of {@code config} with its initialisation (docs/DW_SPEC.md §1), on the CPU. */
    public DwDetector(ModelConfig config) {
        this.config = config;
        backbone = child("backbone", new ResNet(config.depth(), config.baseWidth(), config.frozenStages(), config.dcn()));
        int[] c = backbone.outChannels();
        neck = child("neck", new Fpn(new int[] {c[1], c[2], c[3]}, config.fpnChannels()));
        head = child("bbox_head", new DwHead(config.fpnChannels(), config.headChannels(), config.stackedConvs(),
                config.gnGroups(), config.numClasses(), config.boxRefine(), config.dcn(), ModelConfig.STRIDES));
    }

    ResNet backbone() {
        requireOpen();
        return backbone;
    }

    Fpn neck() {
        requireOpen();
        return neck;
    }

    DwHead head() {
        requireOpen();
        return head;
    }

    /** The architecture this model was built from. */
    public ModelConfig config() {
        return config;
    }

    /**
     * @param images (B, 3, H, W), H and W multiples of 32; moved to the model's device when they are elsewhere
     * @return the head outputs of P3..P7, on the model's device
     */
    public HeadOutputs forward(Tensor images) {
        requireOpen();
        if (images.dim() != 4 || images.size(1) != 3) {
            throw new IllegalArgumentException("images must have shape (B, 3, H, W), found "
                    + java.util.Arrays.toString(images.shape()));
        }
        if (images.is_cuda() != device.cuda()) {
            images = images.to(device.torchDevice(), images.scalar_type());
        }
        return head.forward(neck.forward(backbone.forward(images)));
    }

    /**
     * Moves every parameter and buffer to {@code target} in place (the layers' handles follow), after checking that the
     * device exists. Load weights before or after: loading copies into the parameters wherever they live.
     */
    public DwDetector moveTo(ComputeDevice target) {
        requireOpen();
        target.requireAvailable();
        if (target.cuda()) {
            // The model's GPU becomes the current one, so libtorch's current stream and our kernels use it too.
            org.bytedeco.pytorch.global.torch_cuda.set_device((byte) Math.max(target.index(), 0));
        }
        to(target.torchDevice(), false);
        releaseDerived();   // CPU-only state (Winograd transforms)
        this.device = target;
        return this;
    }

    /** Where the parameters live. */
    public ComputeDevice device() {
        return device;
    }

    /** Number of trainable parameters (elements). */
    public long trainableParameterCount() {
        long n = 0;
        for (Tensor p : parameterList()) {
            if (p.requires_grad()) {
                n += p.numel();
            }
        }
        return n;
    }

    /** Number of parameters (elements), frozen ones included. */
    public long parameterCount() {
        long n = 0;
        for (Tensor p : parameterList()) {
            n += p.numel();
        }
        return n;
    }

    /**
     * Frees the memory of every parameter and buffer now: each becomes an empty tensor (every handle to it, the
     * layers' and those from {@code parameterList()} or {@code WeightLoader.stateOf}, sees the empty tensor, so the
     * storage goes as soon as no other tensor views it). On a GPU the memory returns to libtorch's caching allocator.
     * Afterwards {@link #forward} and {@link #moveTo} throw {@link IllegalStateException}. Idempotent.
     *
     * State derived from the weights (the CPU inference's Winograd transforms, {@link #releaseDerived()}) goes too.
     *
     * <p>This replaces JavaCPP's {@code Pointer.close()}: the (small) native module objects stay until the garbage
     * collector frees them, as a module registered in a parent must not be deleted under it.
     */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        releaseDerived();
        try (TensorScope scope = TensorScope.open(); NoGradGuard g = new NoGradGuard()) {
            // set_() with no source points the tensor at a new empty storage of its dtype and device; the handles
            // share the tensor, so the old storage loses all its references here.
            for (Tensor t : WeightLoader.stateOf(this).values()) {
                t.set_();
            }
        }
    }

    /** Whether {@link #close()} was called. */
    public boolean isClosed() {
        return closed;
    }

    private void requireOpen() {
        if (closed) {
            throw new IllegalStateException("DwDetector is closed: its weights were freed");
        }
    }
}
