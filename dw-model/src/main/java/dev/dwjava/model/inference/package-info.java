/** The public inference API ({@link dev.dwjava.model.inference.Detector}) and its preprocessing. */
package dev.dwjava.model.inference;
