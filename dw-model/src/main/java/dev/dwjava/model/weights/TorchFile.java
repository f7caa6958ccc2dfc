package dev.dwjava.model.weights;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Enumeration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.zip.ZipEntry;
import java.util.zip.ZipException;
import java.util.zip.ZipFile;

import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;

/**
 * Reads files written by PyTorch's {@code torch.save} (the zip format of PyTorch ≥ 1.6) in pure Java: a restricted
 * pickle ({@code data.pkl}) whose tensors point at raw little-endian storages ({@code data/<key>}). Views and shared
 * storages keep sharing memory. Only these globals are resolved: {@code collections.OrderedDict}, the tensor and
 * parameter rebuild functions, the storage types, and numpy scalars/dtypes that checkpoint metadata may hold.
 */
public final class TorchFile {
    private static final Map<String, ScalarType> STORAGE_TYPES = Map.ofEntries(
            Map.entry("FloatStorage", ScalarType.Float), Map.entry("DoubleStorage", ScalarType.Double),
            Map.entry("HalfStorage", ScalarType.Half), Map.entry("BFloat16Storage", ScalarType.BFloat16),
            Map.entry("LongStorage", ScalarType.Long), Map.entry("IntStorage", ScalarType.Int),
            Map.entry("ShortStorage", ScalarType.Short), Map.entry("CharStorage", ScalarType.Char),
            Map.entry("ByteStorage", ScalarType.Byte), Map.entry("BoolStorage", ScalarType.Bool));
    private static final Set<String> CALLABLES = Set.of("collections.OrderedDict", "torch._utils._rebuild_tensor_v2",
            "torch._utils._rebuild_tensor", "torch._utils._rebuild_parameter", "numpy.core.multiarray.scalar",
            "numpy.dtype", "_codecs.encode", "builtins.set", "torch.Size");

    private TorchFile() {}

    /**
     * Loads the object stored in {@code file}: maps become {@link LinkedHashMap}s, lists {@link java.util.ArrayList}s,
     * tuples {@link Pickle.Tuple}s, tensors libtorch {@link Tensor}s on the CPU.
     *
     * @throws IOException with the file name and the reason (not a zip file, legacy format, refused global, ...)
     */
    public static Object load(Path file) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new NoSuchFileException(file.toString(), null, "weights file not found");
        }
        if (isLegacy(file)) {
            throw new IOException(file + " uses PyTorch's legacy (pre-1.6, non-zip) format, which dw-java does not read."
                    + " Re-save it with a current PyTorch: python -c \"import torch; torch.save(torch.load('" + file.getFileName()
                    + "', map_location='cpu'), 'resaved.pth')\"");
        }
        try (ZipFile zip = new ZipFile(file.toFile())) {
            String prefix = archivePrefix(zip, file);
            checkByteOrder(zip, prefix, file);
            Map<String, Tensor> storages = new HashMap<>();
            PickleReader reader = new PickleReader(read(zip, prefix + "data.pkl", file), new TorchGlobals(file),
                    pid -> storage(zip, prefix, storages, pid, file), file.toString());
            return reader.load();
        } catch (ZipException e) {
            throw new IOException(file + " is not a PyTorch checkpoint (not a zip archive: " + e.getMessage() + ")", e);
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
    }

    /**
     * Loads a state dict: the file's top-level map, or its {@code state_dict} entry (mmcv/mmdetection checkpoints),
     * with a {@code module.} prefix (DataParallel) removed. Non-tensor entries are skipped.
     */
    public static Map<String, Tensor> loadStateDict(Path file) throws IOException {
        Object root = load(file);
        if (root instanceof Map<?, ?> m && m.get("state_dict") instanceof Map<?, ?> inner) {
            root = inner;
        }
        if (!(root instanceof Map<?, ?> map)) {
            throw new IOException(file + " does not hold a state dict (found " + describe(root) + ")");
        }
        Map<String, Tensor> out = new LinkedHashMap<>();
        for (Map.Entry<?, ?> e : map.entrySet()) {
            if (e.getValue() instanceof Tensor t) {
                String key = e.getKey().toString();
                out.put(key.startsWith("module.") ? key.substring("module.".length()) : key, t);
            }
        }
        return out;
    }

    private static boolean isLegacy(Path file) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            byte[] head = in.readNBytes(2);
            return head.length == 2 && (head[0] & 0xff) == 0x80 && head[1] == 0x02;   // a bare pickle, not "PK"
        }
    }

    private static String archivePrefix(ZipFile zip, Path file) throws IOException {
        for (Enumeration<? extends ZipEntry> e = zip.entries(); e.hasMoreElements(); ) {
            String name = e.nextElement().getName();
            if (name.endsWith("data.pkl") && name.indexOf('/') == name.lastIndexOf('/')) {
                return name.substring(0, name.length() - "data.pkl".length());
            }
        }
        throw new IOException(file + " is a zip file but not a PyTorch checkpoint (no <name>/data.pkl entry)");
    }

    private static void checkByteOrder(ZipFile zip, String prefix, Path file) throws IOException {
        ZipEntry e = zip.getEntry(prefix + "byteorder");
        if (e != null) {
            String order = new String(read(zip, prefix + "byteorder", file), StandardCharsets.US_ASCII).trim();
            if (!order.equals("little")) {
                throw new IOException(file + ": storages are " + order + "-endian; only little-endian files are supported");
            }
        }
    }

    private static byte[] read(ZipFile zip, String name, Path file) throws IOException {
        ZipEntry e = zip.getEntry(name);
        if (e == null) {
            throw new IOException(file + ": missing record " + name);
        }
        try (InputStream in = zip.getInputStream(e)) {
            return in.readAllBytes();
        }
    }

    /** BINPERSID ('storage', storage type, key, location, numel) → a 1-D tensor over the whole storage. */
    private static Object storage(ZipFile zip, String prefix, Map<String, Tensor> cache, Object pid, Path file) {
        if (!(pid instanceof Pickle.Tuple t) || t.size() < 5 || !"storage".equals(t.get(0))) {
            throw new UncheckedIOException(new IOException(file + ": unsupported persistent id " + pid));
        }
        String key = t.get(2).toString();
        ScalarType dtype = storageType(t.get(1), file);
        return cache.computeIfAbsent(key, k -> {
            try {
                byte[] raw = read(zip, prefix + "data/" + k, file);
                Tensor bytes = torch.zeros(new long[] {raw.length}, new TensorOptions(ScalarType.Byte));
                if (raw.length > 0) {
                    new BytePointer(bytes.data_ptr()).capacity(raw.length).put(raw, 0, raw.length);
                }
                Tensor typed = bytes.view(dtype);
                typed.retainReference();
                return typed;
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
    }

    static ScalarType storageType(Object type, Path file) {
        String name = type instanceof Pickle.Global g ? g.name() : String.valueOf(type);
        ScalarType st = STORAGE_TYPES.get(name);
        if (st == null) {
            throw new UncheckedIOException(new IOException(file + ": unsupported storage type " + type));
        }
        return st;
    }

    static String describe(Object o) {
        return o == null || o == Pickle.NONE ? "None" : o.getClass().getSimpleName();
    }

    /** Resolution of the allowed globals. */
    private record TorchGlobals(Path file) implements PickleReader.Globals {
        @Override
        public boolean allowed(Pickle.Global g) {
            return CALLABLES.contains(g.toString()) || g.module().equals("torch") && STORAGE_TYPES.containsKey(g.name());
        }

        @Override
        public Object call(Pickle.Global g, Pickle.Tuple a) {
            return switch (g.toString()) {
                case "collections.OrderedDict" -> new LinkedHashMap<>();
                case "torch._utils._rebuild_tensor_v2", "torch._utils._rebuild_tensor" -> rebuild(a);
                case "torch._utils._rebuild_parameter" -> a.get(0);
                case "builtins.set" -> a.size() == 0 ? new java.util.LinkedHashSet<>() : new java.util.LinkedHashSet<>((List<?>) a.get(0));
                case "torch.Size" -> a.get(0);
                case "_codecs.encode" -> a.get(0).toString().getBytes(StandardCharsets.ISO_8859_1);
                case "numpy.dtype" -> a.get(0).toString();
                case "numpy.core.multiarray.scalar" -> numpyScalar(a.get(0).toString(), (byte[]) a.get(1));
                default -> throw new UncheckedIOException(new IOException(file + ": cannot call " + g));
            };
        }

        /** (storage, offset, size, stride, requires_grad, hooks[, metadata]) → a strided view of the storage. */
        private Tensor rebuild(Pickle.Tuple a) {
            Tensor storage = (Tensor) a.get(0);
            long offset = (Long) a.get(1);
            long[] size = longs((Pickle.Tuple) a.get(2)), stride = longs((Pickle.Tuple) a.get(3));
            return storage.as_strided(size, stride, new org.bytedeco.pytorch.LongOptional(offset));
        }

        private static long[] longs(Pickle.Tuple t) {
            long[] out = new long[t.size()];
            for (int k = 0; k < out.length; k++) {
                out[k] = (Long) t.get(k);
            }
            return out;
        }

        private static Object numpyScalar(String dtype, byte[] b) {
            java.nio.ByteBuffer buf = java.nio.ByteBuffer.wrap(b).order(java.nio.ByteOrder.LITTLE_ENDIAN);
            return switch (dtype) {
                case "f8" -> buf.getDouble();
                case "f4" -> (double) buf.getFloat();
                case "i8" -> buf.getLong();
                case "i4" -> (long) buf.getInt();
                default -> dtype + " scalar";
            };
        }
    }

    /** Carries an IOException through lambdas. */
    static final class UncheckedIOException extends RuntimeException {
        UncheckedIOException(IOException cause) {
            super(cause);
        }

        @Override
        public synchronized IOException getCause() {
            return (IOException) super.getCause();
        }
    }
}
