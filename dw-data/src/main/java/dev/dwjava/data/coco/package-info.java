/** COCO instance and result files, and the COCO detection dataset with mmdetection's filters. */
package dev.dwjava.data.coco;
