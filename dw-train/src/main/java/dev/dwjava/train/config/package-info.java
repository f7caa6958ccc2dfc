/**
 * The experiment config of a whole run ({@link dev.dwjava.train.config.DwConfig}): the sections {@code model},
 * {@code test}, {@code data}, {@code solver}, {@code runtime} and {@code classes}, bound strictly to immutable records
 * by dw-model's YAML loader. Records only validate and convert values; they must not load data, build models or touch
 * tensors, and must not depend on {@code engine}, {@code app}, {@code dist} or {@code cli}.
 */
package dev.dwjava.train.config;
