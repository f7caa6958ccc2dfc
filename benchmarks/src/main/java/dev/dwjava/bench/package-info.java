/**
 * JMH benchmarks of the hot operations (DW loss and assignment, pairwise IoU, NMS, the CUDA kernels against libtorch),
 * ONNX Runtime against libtorch on the exported model ({@code OnnxVsLibtorch}, {@code bin/bench onnx})
 * and the generator of the large COCO evaluation case; {@code bin/bench} runs them. They are never part of
 * {@code mvn test}, and no module may depend on this one.
 */
package dev.dwjava.bench;
