/**
 * The model server of {@code dw serve}: an HTTP endpoint over a {@link dev.dwjava.serve.BatchDetector}, with dynamic
 * batching of concurrent requests, a bounded queue, Prometheus metrics and a page to try a model in a browser.
 */
package dev.dwjava.serve;
