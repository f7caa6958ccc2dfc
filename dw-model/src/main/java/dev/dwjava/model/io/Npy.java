package dev.dwjava.model.io;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;

/**
 * NumPy {@code .npy} files (format 1.0/2.0, C order, little-endian float32/float64/int64), for exchanging tensors with
 * other implementations.
 */
public final class Npy {
    private static final byte[] MAGIC = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y'};
    private static final Pattern DESCR = Pattern.compile("'descr'\\s*:\\s*'([<|>]?)(\\w\\d+)'");
    private static final Pattern FORTRAN = Pattern.compile("'fortran_order'\\s*:\\s*(True|False)");
    private static final Pattern SHAPE = Pattern.compile("'shape'\\s*:\\s*\\(([^)]*)\\)");

    private Npy() {}

    /** Reads an array; errors name the file and what is unsupported. */
    public static Tensor read(Path file) throws IOException {
        ByteBuffer buf = ByteBuffer.wrap(Files.readAllBytes(file)).order(ByteOrder.LITTLE_ENDIAN);
        for (byte b : MAGIC) {
            if (!buf.hasRemaining() || buf.get() != b) {
                throw new IOException(file + " is not a .npy file (bad magic)");
            }
        }
        int major = buf.get();
        buf.get();
        int headerLen = major == 1 ? buf.getShort() & 0xffff : buf.getInt();
        byte[] h = new byte[headerLen];
        buf.get(h);
        String header = new String(h, StandardCharsets.ISO_8859_1);
        Matcher d = DESCR.matcher(header), f = FORTRAN.matcher(header), s = SHAPE.matcher(header);
        if (!d.find() || !f.find() || !s.find()) {
            throw new IOException(file + ": cannot parse .npy header " + header.trim());
        }
        if (d.group(1).equals(">")) {
            throw new IOException(file + ": big-endian arrays are not supported");
        }
        if (f.group(1).equals("True")) {
            throw new IOException(file + ": Fortran-order arrays are not supported (save with np.ascontiguousarray)");
        }
        ScalarType type = switch (d.group(2)) {
            case "f4" -> ScalarType.Float;
            case "f8" -> ScalarType.Double;
            case "i8" -> ScalarType.Long;
            default -> throw new IOException(file + ": dtype " + d.group(2) + " is not supported (use float32, float64 or int64)");
        };
        List<Long> shape = new ArrayList<>();
        for (String part : s.group(1).split(",")) {
            if (!part.isBlank()) {
                shape.add(Long.parseLong(part.trim()));
            }
        }
        long[] dims = shape.stream().mapToLong(Long::longValue).toArray();
        byte[] data = new byte[buf.remaining()];
        buf.get(data);
        Tensor bytes = torch.zeros(new long[] {data.length}, new TensorOptions(ScalarType.Byte));
        if (data.length > 0) {
            new BytePointer(bytes.data_ptr()).capacity(data.length).put(data, 0, data.length);
        }
        Tensor t = bytes.view(type);
        long numel = 1;
        for (long dim : dims) {
            numel *= dim;
        }
        if (t.numel() != numel) {
            throw new IOException(file + ": header shape " + shape + " needs " + numel + " elements, the file has " + t.numel());
        }
        return t.reshape(dims);
    }

    /** Writes a float32/float64/int64 tensor in format 1.0, C order. */
    public static void write(Path file, Tensor tensor) throws IOException {
        Tensor t = tensor.detach().cpu().contiguous();
        String descr = dev.dwjava.core.tensor.Tensors.hasType(t, ScalarType.Float) ? "<f4"
                : dev.dwjava.core.tensor.Tensors.hasType(t, ScalarType.Double) ? "<f8"
                : dev.dwjava.core.tensor.Tensors.hasType(t, ScalarType.Long) ? "<i8" : null;
        if (descr == null) {
            throw new IllegalArgumentException("cannot write dtype " + t.scalar_type() + " to .npy");
        }
        StringBuilder shape = new StringBuilder();
        for (long dim : t.shape()) {
            shape.append(shape.length() == 0 ? "" : ", ").append(dim);
        }
        String dict = "{'descr': '" + descr + "', 'fortran_order': False, 'shape': (" + shape
                + (t.dim() == 1 ? "," : "") + "), }";
        // NumPy pads the header with spaces so that magic + version + length + header is a multiple of 64.
        int unpadded = MAGIC.length + 4 + dict.length() + 1;
        String header = dict + " ".repeat((64 - unpadded % 64) % 64) + "\n";
        byte[] data = new byte[Math.toIntExact(t.nbytes())];
        if (data.length > 0) {
            new BytePointer(t.data_ptr()).capacity(data.length).get(data, 0, data.length);
        }
        ByteBuffer out = ByteBuffer.allocate(MAGIC.length + 4 + header.length() + data.length).order(ByteOrder.LITTLE_ENDIAN);
        out.put(MAGIC).put((byte) 1).put((byte) 0).putShort((short) header.length())
                .put(header.getBytes(StandardCharsets.ISO_8859_1)).put(data);
        Path parent = file.toAbsolutePath().getParent();
        Files.createDirectories(parent);
        Files.write(file, out.array());
    }
}
