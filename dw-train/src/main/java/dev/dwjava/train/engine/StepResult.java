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
 */
public record StepResult(int epoch, long iter, double lr, double clsPos, double loc, double clsNeg, double gradNorm,
                         double forwardMs, double lossMs, double backwardMs, double optimMs, double dataMs) {
    public double total() {
        return clsPos + loc + clsNeg;
    }

    public double stepMs() {
        return forwardMs + lossMs + backwardMs + optimMs;
    }
}
