/** The synthetic COCO-format dataset the quick-start and the tests use (nothing is downloaded). */
package dev.dwjava.data.synthetic;
