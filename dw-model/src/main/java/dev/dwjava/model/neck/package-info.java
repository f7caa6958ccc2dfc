/** The FPN neck (DW_SPEC §1.2). */
package dev.dwjava.model.neck;
