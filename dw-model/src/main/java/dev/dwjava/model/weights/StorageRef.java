package dev.dwjava.model.weights;

import java.io.IOException;
import java.util.Arrays;

import org.bytedeco.pytorch.LongOptional;
import org.bytedeco.pytorch.Tensor;

/**
 * A storage as a pickle's tensors see it: {@code numel} elements starting {@code offset} elements into {@code root}, a
 * 1-D tensor over a whole loaded storage (legacy files can save storage views, which start inside another storage).
 */
record StorageRef(Tensor root, long offset, long numel) {
    private static final int MAX_DIMS = 64;

    /** A strided tensor over this storage, after checking that every element it reaches lies inside the storage. */
    Tensor view(long[] size, long[] stride, long storageOffset, String source) throws IOException {
        String what = "tensor of size " + Arrays.toString(size) + ", stride " + Arrays.toString(stride) + ", offset "
                + storageOffset;
        if (size.length != stride.length || size.length > MAX_DIMS) {
            throw new IOException(source + ": corrupt " + what);
        }
        long last = storageOffset;
        boolean empty = false;
        try {
            for (int d = 0; d < size.length; d++) {
                if (size[d] < 0 || stride[d] < 0) {
                    throw new IOException(source + ": corrupt " + what + " (negative size or stride)");
                }
                empty |= size[d] == 0;
                last = Math.addExact(last, Math.multiplyExact(Math.max(0, size[d] - 1), stride[d]));
            }
        } catch (ArithmeticException e) {
            throw new IOException(source + ": corrupt " + what + " (overflow)");
        }
        if (storageOffset < 0 || !empty && last >= numel) {
            throw new IOException(source + ": corrupt file: " + what + " reaches past its storage of " + numel + " elements");
        }
        return root.as_strided(size, stride, new LongOptional(offset + storageOffset));
    }

    /** The part {@code [start, start + n)} of this storage, checked. */
    StorageRef slice(long start, long n, String source) throws IOException {
        if (start < 0 || n < 0 || start > numel - n) {
            throw new IOException(source + ": corrupt storage view [" + start + ", " + start + " + " + n
                    + ") of a storage of " + numel + " elements");
        }
        return new StorageRef(root, offset + start, n);
    }
}
