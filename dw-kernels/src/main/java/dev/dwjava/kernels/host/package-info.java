/**
 * The JavaCPP binding of the kernels' host build (the CUDA sources compiled by g++ under the grid emulator), a test
 * vehicle for the kernels on CPU tensors. Only {@link dev.dwjava.kernels.HostKernelLauncher} and {@code Kernels}
 * (which checks that it loads) use it; it must not depend on anything but JavaCPP, and nothing outside dw-kernels
 * should call it.
 */
package dev.dwjava.kernels.host;
