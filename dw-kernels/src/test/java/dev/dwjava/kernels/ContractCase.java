package dev.dwjava.kernels;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

import dev.dwjava.core.tensor.Tensors;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch.ScalarType;

/**
 * A kernel contract case: named arrays (inputs, and expected outputs named {@code expect_*}) in the {@code .dwcase}
 * format that the standalone harness ({@code dw-kernels/harness}) reads too, so the GPU node runs exactly the cases CI
 * runs on the host build. Little-endian: magic {@code "DWCASE1\n"}, int32 count, then per array int32 name length,
 * name, int32 dtype code (0 f32, 1 f64, 2 i64, 3 i32, 4 u8), int32 ndim, int64 dims, row-major data.
 */
final class ContractCase {
    private static final byte[] MAGIC = "DWCASE1\n".getBytes(StandardCharsets.US_ASCII);
    private static final ScalarType[] CODES = {ScalarType.Float, ScalarType.Double, ScalarType.Long, ScalarType.Int, ScalarType.Byte};
    private static final int[] ITEM_BYTES = {4, 8, 8, 4, 1};

    final String name;
    final Map<String, Tensor> arrays = new LinkedHashMap<>();

    ContractCase(String name) {
        this.name = name;
    }

    ContractCase put(String key, Tensor t) {
        arrays.put(key, t.contiguous());
        return this;
    }

    Tensor get(String key) {
        Tensor t = arrays.get(key);
        if (t == null) {
            throw new IllegalArgumentException("contract case " + name + " has no array '" + key + "' (has " + arrays.keySet() + ")");
        }
        return t;
    }

    void write(Path file) throws IOException {
        int size = MAGIC.length + 4;
        for (Map.Entry<String, Tensor> e : arrays.entrySet()) {
            size += 12 + e.getKey().length() + 8 * (int) e.getValue().dim() + (int) e.getValue().nbytes();
        }
        ByteBuffer b = ByteBuffer.allocate(size).order(ByteOrder.LITTLE_ENDIAN);
        b.put(MAGIC).putInt(arrays.size());
        for (Map.Entry<String, Tensor> e : arrays.entrySet()) {
            Tensor t = e.getValue();
            int code = code(t, e.getKey());
            byte[] key = e.getKey().getBytes(StandardCharsets.US_ASCII);
            b.putInt(key.length).put(key).putInt(code).putInt((int) t.dim());
            for (long d : t.sizes().vec().get()) {
                b.putLong(d);
            }
            byte[] data = new byte[(int) t.nbytes()];
            if (data.length > 0) {
                new org.bytedeco.javacpp.BytePointer(t.mutable_data_ptr()).capacity(data.length).get(data);
            }
            b.put(data);  // JavaCPP reads native (little-endian on x86-64 and aarch64) memory
        }
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        Files.write(tmp, b.array());
        Files.move(tmp, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    }

    static ContractCase read(Path file) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(file)).order(ByteOrder.LITTLE_ENDIAN);
        String fileName = file.getFileName().toString();
        ContractCase c = new ContractCase(fileName.substring(0, fileName.length() - ".dwcase".length()));
        byte[] magic = new byte[MAGIC.length];
        b.get(magic);
        if (!java.util.Arrays.equals(magic, MAGIC)) {
            throw new IOException(file + ": not a .dwcase file (bad magic)");
        }
        int count = b.getInt();
        for (int k = 0; k < count; k++) {
            byte[] key = new byte[b.getInt()];
            b.get(key);
            String name = new String(key, StandardCharsets.US_ASCII);
            int code = b.getInt();
            if (code < 0 || code >= CODES.length) {
                throw new IOException(file + ": array '" + name + "' has unknown dtype code " + code);
            }
            long[] dims = new long[b.getInt()];
            long numel = 1;
            for (int d = 0; d < dims.length; d++) {
                dims[d] = b.getLong();
                numel *= dims[d];
            }
            byte[] data = new byte[Math.toIntExact(numel * ITEM_BYTES[code])];
            b.get(data);
            Tensor t = Tensors.empty(new org.bytedeco.pytorch.TensorOptions(CODES[code]), dims);
            if (data.length > 0) {
                new org.bytedeco.javacpp.BytePointer(t.mutable_data_ptr()).capacity(data.length).put(data);
            }
            c.arrays.put(name, t);
        }
        return c;
    }

    private static int code(Tensor t, String key) {
        for (int i = 0; i < CODES.length; i++) {
            if (Tensors.hasType(t, CODES[i])) {
                return i;
            }
        }
        throw new IllegalArgumentException("array " + key + " has unsupported dtype " + t.scalar_type());
    }
}
