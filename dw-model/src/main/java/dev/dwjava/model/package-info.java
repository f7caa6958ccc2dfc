/**
 * The DW detector as a whole: {@link dev.dwjava.model.DwDetector} (ResNet, FPN and DW head, with mmdetection's
 * parameter names) and its architecture, {@link dev.dwjava.model.ModelConfig}. dw-model is the library users embed:
 * it depends on dw-core only and must not depend on training, data loading or evaluation code.
 */
package dev.dwjava.model;
