/** Minimal libtorch layers with PyTorch state-dict names (conv, frozen batch norm, group norm, scale, lists). */
package dev.dwjava.model.nn;
