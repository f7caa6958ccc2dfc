package dev.dwjava.train.dist;

import static dev.dwjava.core.tensor.Tensors.s;

import java.util.ArrayList;
import java.util.List;

import dev.dwjava.core.runtime.TensorScope;
import dev.dwjava.train.solver.Optimizer;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;

/**
 * Data-parallel gradient synchronisation (what DDP does, written on the process group): after backward, the
 * gradients are packed into buckets of about {@code bucketBytes}, each bucket is summed over ranks in one call and
 * divided by the world size, and the averages are copied back.
 */
public final class GradientAverager {
    private final Collectives collectives;
    private final long bucketBytes;

    public GradientAverager(Collectives collectives, long bucketBytes) {
        this.collectives = collectives;
        this.bucketBytes = bucketBytes;
    }

    public void average(List<Optimizer.Param> params) {
        if (collectives.worldSize() == 1) {
            return;
        }
        try (TensorScope scope = TensorScope.open(); NoGradGuard g = new NoGradGuard()) {
            List<Tensor> grads = new ArrayList<>();
            for (Optimizer.Param p : params) {
                Tensor grad = p.tensor().grad();
                if (grad == null || !grad.defined()) {
                    // A parameter unused in this step still needs a place in the sum: ranks must agree on the layout.
                    grad = torch.zeros_like(p.tensor());
                    p.tensor().mutable_grad().put(grad);
                }
                grads.add(grad);
            }
            averageInPlace(grads);
        }
    }

    /** Averages {@code tensors} over ranks in place, in buckets of about {@code bucketBytes}, in list order. */
    public void averageInPlace(List<Tensor> tensors) {
        if (collectives.worldSize() == 1) {
            return;
        }
        try (TensorScope scope = TensorScope.open(); NoGradGuard g = new NoGradGuard()) {
            List<Tensor> bucket = new ArrayList<>();
            long bytes = 0;
            for (Tensor grad : tensors) {
                bucket.add(grad);
                bytes += grad.nbytes();
                if (bytes >= bucketBytes) {
                    flush(bucket);
                    bucket.clear();
                    bytes = 0;
                }
            }
            flush(bucket);
        }
    }

    private void flush(List<Tensor> grads) {
        if (grads.isEmpty()) {
            return;
        }
        TensorVector flat = new TensorVector();
        for (Tensor t : grads) {
            flat.push_back(t.reshape(-1));
        }
        Tensor buffer = torch.cat(flat, 0);
        collectives.allreduceSum(List.of(buffer));
        buffer.div_(s((double) collectives.worldSize()));
        long offset = 0;
        for (Tensor t : grads) {
            long n = t.numel();
            t.copy_(buffer.narrow(0, offset, n).view(t.shape()));
            offset += n;
        }
    }
}
