/**
 * Hand-written CUDA kernels for the hot path (fused DW weighting, pair priors, pairwise IoU/GIoU, bitmask NMS), their
 * launchers (CUDA driver API, and a CPU grid emulator that runs the same source), and the operations that implement
 * dw-core's interfaces with them.
 */
package dev.dwjava.kernels;
