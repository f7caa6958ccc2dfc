/** Box arithmetic on (N, 4) xyxy pixel tensors ({@link dev.dwjava.core.box.BoxOps}), distance coding, NMS. */
package dev.dwjava.core.box;
