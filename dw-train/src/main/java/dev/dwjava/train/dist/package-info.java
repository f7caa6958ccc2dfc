/**
 * Data-parallel training and sharded evaluation on PyTorch's c10d (Gloo on CPU): torchrun-style environment,
 * collectives, bucketed gradient averaging, rank-averaged DW normalisers.
 */
package dev.dwjava.train.dist;
