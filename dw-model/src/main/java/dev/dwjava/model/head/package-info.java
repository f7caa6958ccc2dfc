/** The DW head and its box refinement (docs/DW_SPEC.md §1.3–1.6). */
package dev.dwjava.model.head;
