/** Box value type ({@link dev.dwjava.core.box.Boxes}, always xyxy pixels), box arithmetic, distance coding, NMS. */
package dev.dwjava.core.box;
