/** YAML experiment configs: inheritance, overrides, strict binding to records. */
package dev.dwjava.model.config;
