/** The FPN neck (docs/DW_SPEC.md §1.2). */
package dev.dwjava.model.neck;
