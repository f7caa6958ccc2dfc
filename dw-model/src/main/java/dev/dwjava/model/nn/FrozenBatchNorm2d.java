package dev.dwjava.model.nn;

import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptional;
import org.bytedeco.pytorch.global.torch;

/**
 * Batch norm that always normalises with its running statistics (mmdetection's {@code norm_eval=True}, used by every
 * DW config: docs/DW_SPEC.md §1.1). The affine {@code weight}/{@code bias} may still train; the statistics never change.
 * State names match PyTorch's BatchNorm2d: weight, bias, running_mean, running_var, num_batches_tracked.
 */
public final class FrozenBatchNorm2d extends Layer {
    public static final double EPS = 1e-5;
    public final Tensor weight, bias, runningMean, runningVar;

    /** Identity statistics (mean 0, variance 1) and affine (weight 1, bias 0) until weights are loaded. */
    public FrozenBatchNorm2d(int channels) {
        weight = parameter("weight", torch.ones(channels), true);
        bias = parameter("bias", torch.zeros(channels), true);
        runningMean = buffer("running_mean", torch.zeros(channels));
        runningVar = buffer("running_var", torch.ones(channels));
        buffer("num_batches_tracked", torch.zeros(new long[0], new org.bytedeco.pytorch.TensorOptions(torch.ScalarType.Long)));
    }

    /** (B, C, H, W) normalised with the running statistics, eps {@link #EPS}; the statistics are never updated. */
    public Tensor forward(Tensor x) {
        return torch.batch_norm(x, new TensorOptional(weight), new TensorOptional(bias), new TensorOptional(runningMean),
                new TensorOptional(runningVar), false, 0.1, EPS, true);
    }
}
