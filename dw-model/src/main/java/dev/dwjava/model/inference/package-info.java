/**
 * The public inference API: {@link dev.dwjava.model.inference.Detector} (built with
 * {@link dev.dwjava.model.inference.Detector#builder()}, closed to free the model's native memory, safe to share
 * between threads), its results ({@link dev.dwjava.model.inference.Detection}), their drawing
 * ({@link dev.dwjava.model.inference.DetectionPainter}) and the test-time preprocessing
 * ({@link dev.dwjava.model.inference.TestPipeline}).
 */
package dev.dwjava.model.inference;
