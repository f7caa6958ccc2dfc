/** FPN levels and their points (DW_SPEC §2). */
package dev.dwjava.core.point;
