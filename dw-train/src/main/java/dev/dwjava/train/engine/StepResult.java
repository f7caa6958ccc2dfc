package dev.dwjava.train.engine;

/**
 * What one training step did.
 *
 * @param epoch      0-based epoch
 * @param iter       global iteration (0-based) of this step
 * @param lr         learning rate used
 * @param clsPos     loss_cls_pos
 * @param loc        loss_loc
 * @param clsNeg     loss_cls_neg
 * @param gradNorm   global gradient norm before clipping
 * @param forwardMs  model forward
 * @param lossMs     DW assignment and loss
 * @param backwardMs backward
 * @param optimMs    SGD update
 * @param dataMs     waiting for the batch (loading, augmentation, collation)
 * @param lossScale  the fp16 loss scale the step ran with (0: no loss scaling)
 * @param skipped    whether the update was skipped (fp16 gradients not finite; the scale was lowered)
 */
public record StepResult(int epoch, long iter, double lr, double clsPos, double loc, double clsNeg, double gradNorm,
                         double forwardMs, double lossMs, double backwardMs, double optimMs, double dataMs, double lossScale,
                         boolean skipped) {
    /** A step without loss scaling. */
    public StepResult(int epoch, long iter, double lr, double clsPos, double loc, double clsNeg, double gradNorm,
                      double forwardMs, double lossMs, double backwardMs, double optimMs, double dataMs) {
        this(epoch, iter, lr, clsPos, loc, clsNeg, gradNorm, forwardMs, lossMs, backwardMs, optimMs, dataMs, 0, false);
    }

    public double total() {
        return clsPos + loc + clsNeg;
    }

    public double stepMs() {
        return forwardMs + lossMs + backwardMs + optimMs;
    }
}
