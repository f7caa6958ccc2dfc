/** Test-time post-processing: head outputs to detections (DW_SPEC §4). */
package dev.dwjava.model.postprocess;
