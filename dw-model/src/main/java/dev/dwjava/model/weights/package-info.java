/**
 * PyTorch weight files in pure Java: reading {@code torch.save} files, zip and legacy (restricted pickle), writing state dicts
 * that {@code torch.load} reads, and loading by name with a report of missing, unexpected and mismatched tensors.
 */
package dev.dwjava.model.weights;
