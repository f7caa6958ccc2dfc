/**
 * Logs people read: the text log of a run ({@code train.log}), TensorBoard event files ({@code tf_logs/}) of the
 * scalars in {@code metrics.jsonl}.
 */
package dev.dwjava.train.logging;
