/** The test loop: inference over a dataset, results file, COCO evaluation. */
package dev.dwjava.eval.test;
