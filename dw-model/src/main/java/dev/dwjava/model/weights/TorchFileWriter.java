package dev.dwjava.model.weights;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Map;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

import dev.dwjava.core.tensor.Tensors;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch.ScalarType;

/**
 * Writes a state dict ({@code OrderedDict[str, Tensor]}) in the zip format of {@code torch.save}, so that
 * {@code torch.load(path)} in Python reads it. Files are written to a temporary sibling and renamed into place,
 * so a crash never leaves a half-written file under the final name.
 */
public final class TorchFileWriter {
    private static final String ARCHIVE = "archive/";

    private TorchFileWriter() {}

    /** Writes {@code state} (keys in iteration order) to {@code file} atomically. */
    public static void writeStateDict(Path file, Map<String, Tensor> state) throws IOException {
        Path dir = file.toAbsolutePath().getParent();
        Files.createDirectories(dir);
        Path tmp = Files.createTempFile(dir, file.getFileName().toString(), ".tmp");
        try {
            try (ZipOutputStream zip = new ZipOutputStream(Files.newOutputStream(tmp))) {
                byte[][] storages = new byte[state.size()][];
                stored(zip, ARCHIVE + "data.pkl", pickle(state, storages));
                stored(zip, ARCHIVE + "byteorder", "little".getBytes(StandardCharsets.US_ASCII));
                for (int k = 0; k < storages.length; k++) {
                    stored(zip, ARCHIVE + "data/" + k, storages[k]);
                }
                stored(zip, ARCHIVE + "version", "3\n".getBytes(StandardCharsets.US_ASCII));
            }
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    private static void stored(ZipOutputStream zip, String name, byte[] data) throws IOException {
        ZipEntry e = new ZipEntry(name);
        e.setMethod(ZipEntry.STORED);       // PyTorch reads records in place; it expects them uncompressed
        e.setSize(data.length);
        e.setCompressedSize(data.length);
        CRC32 crc = new CRC32();
        crc.update(data);
        e.setCrc(crc.getValue());
        e.setTime(0);                        // reproducible bytes for the same weights
        zip.putNextEntry(e);
        zip.write(data);
        zip.closeEntry();
    }

    /** Protocol-2 pickle of the OrderedDict; fills {@code storages} with each tensor's contiguous bytes. */
    private static byte[] pickle(Map<String, Tensor> state, byte[][] storages) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(new byte[] {(byte) 0x80, 2});
        global(out, "collections", "OrderedDict");
        out.write(')');
        out.write('R');
        out.write('(');
        int k = 0;
        for (Map.Entry<String, Tensor> e : state.entrySet()) {
            Tensor t = e.getValue().detach().cpu().contiguous();
            storages[k] = bytesOf(t);
            string(out, e.getKey());
            global(out, "torch._utils", "_rebuild_tensor_v2");
            out.write('(');
            out.write('(');
            string(out, "storage");
            global(out, "torch", storageName(t));
            string(out, Integer.toString(k));
            string(out, "cpu");
            integer(out, t.numel());
            out.write('t');
            out.write('Q');
            integer(out, 0);
            longs(out, t.shape());
            longs(out, contiguousStrides(t.shape()));
            out.write(0x89);
            global(out, "collections", "OrderedDict");
            out.write(')');
            out.write('R');
            out.write('t');
            out.write('R');
            k++;
        }
        out.write('u');
        out.write('.');
        return out.toByteArray();
    }

    private static String storageName(Tensor t) {
        if (Tensors.hasType(t, ScalarType.Float)) {
            return "FloatStorage";
        } else if (Tensors.hasType(t, ScalarType.Double)) {
            return "DoubleStorage";
        } else if (Tensors.hasType(t, ScalarType.Long)) {
            return "LongStorage";
        } else if (Tensors.hasType(t, ScalarType.Half)) {
            return "HalfStorage";
        } else if (Tensors.hasType(t, ScalarType.Int)) {
            return "IntStorage";
        } else if (Tensors.hasType(t, ScalarType.Byte)) {
            return "ByteStorage";
        } else if (Tensors.hasType(t, ScalarType.Bool)) {
            return "BoolStorage";
        }
        throw new IllegalArgumentException("cannot write tensors of dtype " + t.scalar_type());
    }

    private static byte[] bytesOf(Tensor t) {
        byte[] b = new byte[Math.toIntExact(t.nbytes())];
        if (b.length > 0) {
            new BytePointer(t.data_ptr()).capacity(b.length).get(b, 0, b.length);
        }
        return b;
    }

    private static long[] contiguousStrides(long[] shape) {
        long[] s = new long[shape.length];
        long acc = 1;
        for (int d = shape.length - 1; d >= 0; d--) {
            s[d] = acc;
            acc *= shape[d];
        }
        return s;
    }

    private static void global(OutputStream out, String module, String name) throws IOException {
        out.write('c');
        out.write((module + "\n" + name + "\n").getBytes(StandardCharsets.US_ASCII));
    }

    private static void string(OutputStream out, String s) throws IOException {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        out.write('X');
        int n = b.length;
        out.write(new byte[] {(byte) n, (byte) (n >> 8), (byte) (n >> 16), (byte) (n >> 24)});
        out.write(b);
    }

    private static void integer(OutputStream out, long v) throws IOException {
        if (v < Integer.MIN_VALUE || v > Integer.MAX_VALUE) {
            out.write(0x8a);                              // LONG1, 8 bytes little-endian
            out.write(8);
            for (int i = 0; i < 8; i++) {
                out.write((int) (v >> (8 * i)));
            }
            return;
        }
        int n = (int) v;
        out.write('J');
        out.write(new byte[] {(byte) n, (byte) (n >> 8), (byte) (n >> 16), (byte) (n >> 24)});
    }

    private static void longs(OutputStream out, long[] values) throws IOException {
        out.write('(');
        for (long v : values) {
            integer(out, v);
        }
        out.write('t');
    }
}
