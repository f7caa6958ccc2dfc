/**
 * Images shared by the training data pipeline and inference: decoding as OpenCV does ({@link
 * dev.dwjava.core.image.ImageDecoder}), resize, normalise, flip, pad.
 */
package dev.dwjava.core.image;
