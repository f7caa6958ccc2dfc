/** Test-time post-processing: head outputs to detections (docs/DW_SPEC.md §4). */
package dev.dwjava.model.postprocess;
