/** Image tensors shared by the training data pipeline and inference: resize, normalise, flip, pad. */
package dev.dwjava.core.image;
