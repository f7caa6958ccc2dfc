/** Conveniences over the JavaCPP libtorch API shared by all modules. */
package dev.dwjava.core.tensor;
