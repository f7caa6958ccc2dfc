package dev.dwjava.model.inference;

/**
 * One detected object, in pixels of the original image.
 *
 * @param x1        left
 * @param y1        top
 * @param x2        right
 * @param y2        bottom
 * @param score     σ(cls)·σ(obj) in (0, 1)
 * @param classId   contiguous class index
 * @param className the class name from the config's {@code classes}
 */
public record Detection(float x1, float y1, float x2, float y2, float score, int classId, String className) {}
