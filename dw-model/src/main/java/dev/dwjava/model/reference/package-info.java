/** Runners of the original implementation's refine and post-processing reference cases. */
package dev.dwjava.model.reference;
