/** COCO bbox evaluation with pycocotools' exact semantics, and COCO JSON readers. */
package dev.dwjava.eval.coco;
