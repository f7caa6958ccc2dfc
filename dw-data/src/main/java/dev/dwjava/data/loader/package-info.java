/** Augmentation, sampling, batching and the parallel loader of detection data. */
package dev.dwjava.data.loader;
