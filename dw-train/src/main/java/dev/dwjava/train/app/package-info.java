/** Whole runs from a config: training (with the quick-start) and testing. */
package dev.dwjava.train.app;
