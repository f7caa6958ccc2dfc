/**
 * Reading the reference cases produced by the original implementation ({@code testdata/dw_reference}),
 * running ours on their inputs and comparing. Used by the tests and by {@code bin/dw reference}.
 */
package dev.dwjava.core.reference;
