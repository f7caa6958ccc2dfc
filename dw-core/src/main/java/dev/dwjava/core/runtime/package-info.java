/** Loading libtorch once ({@link dev.dwjava.core.runtime.Torch}) and native-memory discipline ({@link dev.dwjava.core.runtime.TensorScope}). */
package dev.dwjava.core.runtime;
