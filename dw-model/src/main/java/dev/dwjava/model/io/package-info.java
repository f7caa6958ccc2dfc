/** Array file formats for exchanging tensors with other implementations. */
package dev.dwjava.model.io;
