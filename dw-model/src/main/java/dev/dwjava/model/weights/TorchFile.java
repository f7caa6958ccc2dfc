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
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipException;
import java.util.zip.ZipFile;

import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;

/**
 * Reads files written by PyTorch's {@code torch.save} in pure Java, in every layout {@code torch.load} reads: the zip
 * format of PyTorch ≥ 1.6 (a restricted pickle {@code data.pkl} whose tensors point at raw little-endian storages
 * {@code data/<key>}), and the two legacy layouts of older files such as torchvision's V1 ImageNet weights (see
 * {@link LegacyTorchFile}). Views and shared storages keep sharing memory. Only these globals are resolved:
 * {@code collections.OrderedDict}, the tensor and parameter rebuild functions, the storage and tensor types, and numpy
 * scalars/dtypes that checkpoint metadata may hold; any other is refused, naming it.
 */
public final class TorchFile {
    private TorchFile() {}

    /**
     * Loads the object stored in {@code file}: maps become {@link LinkedHashMap}s, lists {@link java.util.ArrayList}s,
     * tuples {@link Pickle.Tuple}s, tensors libtorch {@link Tensor}s on the CPU.
     *
     * @throws IOException with the file name and the reason (not a weights file, truncated, refused global, ...)
     */
    public static Object load(Path file) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new NoSuchFileException(file.toString(), null, "weights file not found");
        }
        byte[] head;
        try (InputStream in = Files.newInputStream(file)) {
            head = in.readNBytes(LegacyTorchFile.TAR_BLOCK);
        }
        boolean zip = head.length >= 2 && head[0] == 'P' && head[1] == 'K';
        if (!zip && (LegacyTorchFile.isTar(head) || head.length > 0 && (head[0] & 0xff) == 0x80)) {
            return LegacyTorchFile.load(file, head);
        }
        try (ZipFile archive = new ZipFile(file.toFile())) {
            String prefix = archivePrefix(archive, file);
            checkByteOrder(archive, prefix, file);
            Map<String, StorageRef> storages = new HashMap<>();
            PickleReader reader = new PickleReader(read(archive, prefix + "data.pkl", file), new TorchGlobals(file.toString()),
                    pid -> storage(archive, prefix, storages, pid, file), file.toString());
            return reader.load();
        } catch (ZipException e) {
            throw new IOException(file + " is not a PyTorch checkpoint (not a zip archive: " + e.getMessage() + ")", e);
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

    /** Pickles of state dicts are kilobytes to a few megabytes; this bounds what a corrupt or hostile one can claim. */
    static final long MAX_PICKLE_BYTES = 256L << 20;

    private static byte[] read(ZipFile zip, String name, Path file) throws IOException {
        return read(zip, name, file, MAX_PICKLE_BYTES);
    }

    /**
     * A record's bytes, never more than {@code max}: the decompressed size is checked against the bound while reading
     * (a small zip entry may claim or inflate to gigabytes), not trusted from the zip directory.
     */
    private static byte[] read(ZipFile zip, String name, Path file, long max) throws IOException {
        ZipEntry e = zip.getEntry(name);
        if (e == null) {
            throw new IOException(file + ": missing record " + name);
        }
        if (e.getSize() > max) {
            throw new IOException(file + ": record " + name + " claims " + e.getSize() + " bytes, more than the " + max
                    + " it can hold (corrupt or not a PyTorch checkpoint)");
        }
        try (InputStream in = zip.getInputStream(e)) {
            byte[] data = in.readNBytes((int) Math.min(Integer.MAX_VALUE - 8, max + 1));
            if (data.length > max) {
                throw new IOException(file + ": record " + name + " holds more than the " + max + " bytes it can hold"
                        + " (corrupt or not a PyTorch checkpoint)");
            }
            return data;
        } catch (ZipException ex) {
            throw new IOException(file + ": record " + name + " is damaged (" + ex.getMessage() + ")", ex);
        }
    }

    /** BINPERSID ('storage', storage type, key, location, numel) → the whole storage, read once per key. */
    private static StorageRef storage(ZipFile zip, String prefix, Map<String, StorageRef> cache, Object pid, Path file)
            throws IOException {
        if (!(pid instanceof Pickle.Tuple t) || t.size() < 5 || !"storage".equals(t.get(0)) || !(t.get(4) instanceof Long numel)) {
            throw new IOException(file + ": unsupported persistent id " + pid);
        }
        String key = t.get(2).toString();
        StorageRef cached = cache.get(key);
        if (cached != null) {
            return cached;
        }
        ScalarType dtype = TorchGlobals.storageType(t.get(1), file.toString());
        int size = TorchGlobals.ELEMENT_SIZE.get(dtype);
        if (numel < 0 || numel > (Integer.MAX_VALUE - 8) / size) {
            throw new IOException(file + ": storage " + key + " claims " + numel + " elements of " + size + " bytes; storages of"
                    + " 2 GiB and more are not supported (corrupt or not a PyTorch checkpoint)");
        }
        byte[] raw = read(zip, prefix + "data/" + key, file, numel * size);
        if (raw.length % size != 0 || raw.length / size < numel) {
            throw new IOException(file + ": record data/" + key + " holds " + raw.length + " bytes, less than the " + numel
                    + " elements of " + size + " bytes the pickle says (truncated or corrupt)");
        }
        Tensor bytes = torch.zeros(new long[] {raw.length}, new TensorOptions(ScalarType.Byte));
        if (raw.length > 0) {
            new BytePointer(bytes.data_ptr()).capacity(raw.length).put(raw, 0, raw.length);
        }
        Tensor typed = bytes.view(dtype);
        typed.retainReference();
        StorageRef ref = new StorageRef(typed, 0, typed.numel());
        cache.put(key, ref);
        return ref;
    }

    static String describe(Object o) {
        return o == null || o == Pickle.NONE ? "None" : o.getClass().getSimpleName();
    }
}
