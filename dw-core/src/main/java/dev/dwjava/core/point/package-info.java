/** FPN levels and their points (docs/DW_SPEC.md §2). */
package dev.dwjava.core.point;
