/**
 * The DW label assignment and loss (docs/DW_SPEC.md §3): {@link dev.dwjava.core.dw.DwAssigner} computes the detached
 * weights over inside (point, GT) pairs, {@link dev.dwjava.core.dw.DwLoss} turns them into the three loss terms.
 */
package dev.dwjava.core.dw;
