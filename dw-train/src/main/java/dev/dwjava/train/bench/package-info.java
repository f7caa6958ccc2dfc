/**
 * The benchmarks behind {@code dw bench}: the network's inference and training-step time, the data pipeline's
 * throughput and the gradient all-reduce, each returning its figures as an ordered map (printed as JSON by the CLI).
 * Timings are medians after warm-up; on a GPU every timed section ends with a device synchronisation.
 */
package dev.dwjava.train.bench;
