/** The DW head and its box refinement (DW_SPEC §1.3–1.6). */
package dev.dwjava.model.head;
