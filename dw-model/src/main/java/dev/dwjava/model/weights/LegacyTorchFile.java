package dev.dwjava.model.weights;

import java.io.IOException;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;

/**
 * PyTorch's two legacy (non-zip) layouts, which {@code torch.load} still reads and torchvision's V1 ImageNet files use.
 * <ul>
 * <li><b>tar</b> (PyTorch ≤ 0.1.9; e.g. {@code resnet18-5c106cde.pth}, {@code resnet50-19c8e357.pth}): member
 *   {@code sys_info} (a pickled dict), {@code pickle} (the object; its persistent ids are tensor and storage keys as
 *   strings), {@code tensors} (a pickled count, then per tensor a pickled (key, storage key, tensor type), an int32
 *   ndim, 4 unused bytes, int64 sizes, int64 strides and an int64 storage offset) and {@code storages} (a pickled
 *   count, then per storage a pickled (key, location, storage type), an int64 element count and the raw bytes; then a
 *   pickled list of storage views (key, root key, offset, numel)).
 * <li><b>magic number</b> (PyTorch 0.1.10 to 1.5, and {@code _use_new_zipfile_serialization=False} since): pickles of
 *   the magic number, the protocol version (1001) and sys_info; the object, whose persistent ids are ('storage',
 *   storage type, key, location, numel, view metadata); the list of storage keys; then per key an int64 element count
 *   and the raw bytes.
 * </ul>
 * Numbers and storages are little-endian. Every pickle goes through the same allow-list as the zip format. Every
 * count, length and offset is checked against the bytes left before anything is allocated: a truncated or corrupt
 * file is an {@link IOException} naming it. Storages saved from a GPU load onto the CPU.
 */
final class LegacyTorchFile {
    static final int TAR_BLOCK = 512;
    private static final BigInteger MAGIC_NUMBER = new BigInteger("1950a86a20f9469cfc6c", 16);
    private static final long PROTOCOL_VERSION = 1001;
    private static final int MAX_DIMS = 64;
    private static final PickleReader.PersistentLoad NO_PERSISTENT_IDS = pid -> {
        throw new IOException("unexpected persistent id " + pid);
    };

    private final String name;
    private final ByteBuffer data;
    private final TorchGlobals globals;
    private long allocated;

    private LegacyTorchFile(Path file, ByteBuffer data) {
        this.name = file.toString();
        this.data = data;
        this.globals = new TorchGlobals(name);
    }

    /** True when {@code head} (the first bytes of a file) is a tar header: "ustar" magic and a valid checksum. */
    static boolean isTar(byte[] head) {
        return head.length >= TAR_BLOCK && new String(head, 257, 5, StandardCharsets.US_ASCII).equals("ustar")
                && checksumOk(head);
    }

    static Object load(Path file, byte[] head) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            if (ch.size() > Integer.MAX_VALUE) {
                throw new IOException(file + ": legacy-format files over 2 GiB are not supported; re-save it with a current"
                        + " PyTorch (torch.save(torch.load(f), f2))");
            }
            ByteBuffer data = ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size()).order(ByteOrder.LITTLE_ENDIAN);
            LegacyTorchFile f = new LegacyTorchFile(file, data);
            return isTar(head) ? f.loadTar() : f.loadMagic();
        }
    }

    // ---- magic-number layout

    private Object loadMagic() throws IOException {
        ByteBuffer in = data.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        Object magic = pickle(in, "magic number", NO_PERSISTENT_IDS);
        if (!MAGIC_NUMBER.equals(magic)) {
            throw new IOException(name + " is not a PyTorch checkpoint (a pickle without PyTorch's magic number)");
        }
        Object version = pickle(in, "protocol version", NO_PERSISTENT_IDS);
        if (!Long.valueOf(PROTOCOL_VERSION).equals(version)) {
            throw new IOException(name + ": unsupported legacy protocol version " + version + " (expected 1001)");
        }
        checkSysInfo(pickle(in, "sys_info", NO_PERSISTENT_IDS));
        Map<String, Storage> storages = new LinkedHashMap<>();
        Map<String, StorageRef> views = new HashMap<>();
        Object result = pickle(in, "main pickle", pid -> magicStorage(pid, storages, views));
        if (!(pickle(in, "storage keys", NO_PERSISTENT_IDS) instanceof List<?> keys)) {
            throw new IOException(name + ": corrupt file (the storage key list is not a list)");
        }
        for (Object k : keys) {
            Storage s = storages.get(key(k));
            if (s == null || s.filled) {
                throw new IOException(name + ": corrupt file (storage key " + k + (s == null ? " is not used by any tensor)"
                        : " is listed twice)"));
            }
            readStorage(in, s, "storage " + s.key);
        }
        for (Storage s : storages.values()) {
            if (!s.filled) {
                throw new IOException(name + ": storage " + s.key + " has no data (truncated or corrupt file)");
            }
        }
        return result;
    }

    /** ('storage', type, key, location, numel, view metadata (view key, offset, numel) or None). */
    private StorageRef magicStorage(Object pid, Map<String, Storage> storages, Map<String, StorageRef> views)
            throws IOException {
        if (!(pid instanceof Pickle.Tuple t) || t.size() < 1) {
            throw new IOException(name + ": unsupported persistent id " + pid);
        }
        String kind = text(t.get(0));
        if (kind.equals("module")) {
            throw new IOException(name + " pickles a whole torch.nn.Module" + (t.size() > 1 ? " (" + t.get(1) + ")" : "")
                    + ", which dw-java does not read: save its state_dict() instead");
        }
        if (!kind.equals("storage") || t.size() < 5 || !(t.get(4) instanceof Long numel) || numel < 0) {
            throw new IOException(name + ": unsupported persistent id " + t.items());
        }
        ScalarType dtype = TorchGlobals.storageType(t.get(1), name);
        String key = key(t.get(2));
        Storage s = storages.get(key);
        if (s == null) {
            s = new Storage(key, allocate(dtype, numel, "storage " + key), numel, TorchGlobals.ELEMENT_SIZE.get(dtype));
            storages.put(key, s);
        }
        StorageRef whole = new StorageRef(s.tensor, 0, s.numel);
        Object view = t.size() > 5 ? t.get(5) : Pickle.NONE;
        if (view == Pickle.NONE) {
            return whole;
        }
        if (!(view instanceof Pickle.Tuple v) || v.size() != 3 || !(v.get(1) instanceof Long off) || !(v.get(2) instanceof Long n)) {
            throw new IOException(name + ": corrupt storage view " + view);
        }
        StorageRef known = views.get(key(v.get(0)));
        if (known == null) {
            known = whole.slice(off, n, name);
            views.put(key(v.get(0)), known);
        }
        return known;
    }

    // ---- tar layout

    private Object loadTar() throws IOException {
        Map<String, long[]> members = tarMembers();
        if (members.containsKey("sys_info")) {
            checkSysInfo(pickle(member(members, "sys_info"), "tar member sys_info", NO_PERSISTENT_IDS));
        }
        Map<String, Object> objects = new HashMap<>();

        ByteBuffer in = member(members, "storages");
        String where = "tar member storages";
        long n = count(pickle(in, where, NO_PERSISTENT_IDS), in, 8, where);
        for (long i = 0; i < n; i++) {
            Pickle.Tuple rec = tuple(pickle(in, where, NO_PERSISTENT_IDS), 3, where);
            String key = key(rec.get(0));
            ScalarType dtype = TorchGlobals.storageType(rec.get(2), name);
            int size = TorchGlobals.ELEMENT_SIZE.get(dtype);
            long numel = readCount(in, "storage " + key);
            if (numel < 0 || numel > (in.remaining() - 8) / size) {
                throw new IOException(name + ": storage " + key + " claims " + numel + " elements but " + (in.remaining() - 8)
                        + " bytes are left (truncated or corrupt file)");
            }
            Storage s = new Storage(key, allocate(dtype, numel, "storage " + key), numel, size);
            readStorage(in, s, "storage " + key);
            objects.put(key, new StorageRef(s.tensor, 0, numel));
        }
        if (!(pickle(in, where, NO_PERSISTENT_IDS) instanceof List<?> views)) {
            throw new IOException(name + ": corrupt file (the storage view list is not a list)");
        }
        for (Object o : views) {
            Pickle.Tuple v = tuple(o, 4, where);
            if (!(objects.get(key(v.get(1))) instanceof StorageRef root) || !(v.get(2) instanceof Long off)
                    || !(v.get(3) instanceof Long len)) {
                throw new IOException(name + ": corrupt storage view " + v.items());
            }
            objects.put(key(v.get(0)), root.slice(off, len, name));
        }

        in = member(members, "tensors");
        where = "tar member tensors";
        n = count(pickle(in, where, NO_PERSISTENT_IDS), in, 16, where);
        for (long i = 0; i < n; i++) {
            Pickle.Tuple rec = tuple(pickle(in, where, NO_PERSISTENT_IDS), 3, where);
            String key = key(rec.get(0));
            need(in, 8, "tensor " + key);
            int ndim = in.getInt();
            in.getInt();                                  // ndim was once written as 8 bytes
            if (ndim < 0 || ndim > MAX_DIMS) {
                throw new IOException(name + ": corrupt tensor " + key + " (" + ndim + " dimensions)");
            }
            need(in, 16L * ndim + 8, "tensor " + key);
            long[] size = new long[ndim], stride = new long[ndim];
            for (int d = 0; d < ndim; d++) {
                size[d] = in.getLong();
            }
            for (int d = 0; d < ndim; d++) {
                stride[d] = in.getLong();
            }
            long offset = in.getLong();
            if (!(objects.get(key(rec.get(1))) instanceof StorageRef storage)) {
                throw new IOException(name + ": tensor " + key + " refers to storage " + rec.get(1) + ", which the file does not hold");
            }
            objects.put(key, storage.view(size, stride, offset, name + " (tensor " + key + ")"));
        }

        return pickle(member(members, "pickle"), "tar member pickle", pid -> {
            if (pid instanceof Pickle.Tuple t) {
                throw new IOException(name + " pickles a whole torch.nn.Module" + (t.size() > 0 ? " (" + t.get(0) + ")" : "")
                        + ", which dw-java does not read: save its state_dict() instead");
            }
            Object o = objects.get(key(pid));
            if (o == null) {
                throw new IOException(name + ": the pickle refers to tensor " + pid + ", which the file does not hold");
            }
            return o;
        });
    }

    /** Regular members by name: {offset, size}. Pax and GNU long-name headers are applied; others skipped. */
    private Map<String, long[]> tarMembers() throws IOException {
        Map<String, long[]> out = new LinkedHashMap<>();
        long end = data.capacity();
        long pos = 0;
        String nextName = null;
        Long nextSize = null;
        byte[] h = new byte[TAR_BLOCK];
        // Like Python's tarfile, a missing end-of-archive block (fewer than 512 bytes left) ends the archive.
        while (end - pos >= TAR_BLOCK) {
            data.get((int) pos, h);
            if (allZero(h)) {
                break;
            }
            if (!checksumOk(h)) {
                throw new IOException(name + ": corrupt tar header at byte " + pos);
            }
            String entry = cString(h, 0, 100);
            if (new String(h, 257, 5, StandardCharsets.US_ASCII).equals("ustar") && h[345] != 0) {
                entry = cString(h, 345, 155) + "/" + entry;
            }
            char type = (char) h[156];
            boolean regular = type == '0' || type == 0 || type == '7';
            long size = regular && nextSize != null ? nextSize : number(h, 124, 12, pos);
            long at = pos + TAR_BLOCK;
            if (size < 0 || size > end - at) {
                throw new IOException(name + ": tar member '" + (regular && nextName != null ? nextName : entry) + "' needs "
                        + size + " bytes at byte " + at + " but " + (end - at) + " are left (truncated file)");
            }
            if (type == 'x') {
                for (Map.Entry<String, String> e : pax(at, (int) size).entrySet()) {
                    if (e.getKey().equals("path")) {
                        nextName = e.getValue();
                    } else if (e.getKey().equals("size")) {
                        try {
                            nextSize = Long.parseLong(e.getValue().trim());
                        } catch (NumberFormatException ex) {
                            throw new IOException(name + ": corrupt tar pax header at byte " + pos);
                        }
                    }
                }
            } else if (type == 'L') {
                byte[] b = new byte[(int) Math.min(size, 4096)];
                data.get((int) at, b);
                nextName = cString(b, 0, b.length);
            } else if (type != 'g') {
                if (regular) {
                    String member = nextName != null ? nextName : entry;
                    out.put(member.startsWith("./") ? member.substring(2) : member, new long[] {at, size});
                }
                nextName = null;
                nextSize = null;
            }
            pos = at + (size + TAR_BLOCK - 1) / TAR_BLOCK * TAR_BLOCK;
        }
        return out;
    }

    /** Pax records "LEN key=value\n". */
    private Map<String, String> pax(long at, int size) throws IOException {
        byte[] b = new byte[size];
        data.get((int) at, b);
        Map<String, String> out = new LinkedHashMap<>();
        int p = 0;
        while (p < size && b[p] != 0) {
            int sp = p;
            while (sp < size && b[sp] != ' ') {
                sp++;
            }
            int len;
            try {
                len = Integer.parseInt(new String(b, p, sp - p, StandardCharsets.US_ASCII));
            } catch (NumberFormatException e) {
                len = -1;
            }
            if (len <= sp - p || p + len > size || b[p + len - 1] != '\n') {
                throw new IOException(name + ": corrupt tar pax header at byte " + at);
            }
            String record = new String(b, sp + 1, p + len - 1 - (sp + 1), StandardCharsets.UTF_8);
            int eq = record.indexOf('=');
            if (eq > 0) {
                out.put(record.substring(0, eq), record.substring(eq + 1));
            }
            p += len;
        }
        return out;
    }

    private ByteBuffer member(Map<String, long[]> members, String member) throws IOException {
        long[] m = members.get(member);
        if (m == null) {
            throw new IOException(name + " is a tar file but not a legacy PyTorch checkpoint: it has no member '" + member
                    + "' (members: " + members.keySet() + "; truncated file?)");
        }
        return data.duplicate().position((int) m[0]).limit((int) (m[0] + m[1])).slice().order(ByteOrder.LITTLE_ENDIAN);
    }

    private static boolean checksumOk(byte[] h) {
        long stored;
        try {
            stored = octal(h, 148, 8);
        } catch (NumberFormatException e) {
            return false;
        }
        long unsigned = 0, signed = 0;
        for (int k = 0; k < TAR_BLOCK; k++) {
            int b = k >= 148 && k < 156 ? ' ' : h[k];
            unsigned += b & 0xff;
            signed += b;
        }
        return stored == unsigned || stored == signed;
    }

    /** A numeric header field: octal text, or base-256 when the first byte has its high bit set. */
    private long number(byte[] h, int off, int len, long pos) throws IOException {
        if ((h[off] & 0x80) != 0) {
            long v = h[off] & 0x7f;
            for (int k = off + 1; k < off + len; k++) {
                if (v > (Long.MAX_VALUE >> 8)) {
                    throw new IOException(name + ": corrupt tar header at byte " + pos);
                }
                v = v << 8 | h[k] & 0xff;
            }
            return v;
        }
        try {
            return octal(h, off, len);
        } catch (NumberFormatException e) {
            throw new IOException(name + ": corrupt tar header at byte " + pos);
        }
    }

    private static long octal(byte[] h, int off, int len) {
        String s = new String(h, off, len, StandardCharsets.US_ASCII).replace('\0', ' ').trim();
        return s.isEmpty() ? 0 : Long.parseLong(s, 8);
    }

    private static String cString(byte[] b, int off, int len) {
        int end = off;
        while (end < off + len && b[end] != 0) {
            end++;
        }
        return new String(b, off, end - off, StandardCharsets.UTF_8);
    }

    private static boolean allZero(byte[] b) {
        for (byte x : b) {
            if (x != 0) {
                return false;
            }
        }
        return true;
    }

    // ---- shared

    private Object pickle(ByteBuffer in, String what, PickleReader.PersistentLoad pl) throws IOException {
        return new PickleReader(in, globals, pl, name + " (" + what + ")").load();
    }

    private void checkSysInfo(Object info) throws IOException {
        if (info instanceof Map<?, ?> m && Boolean.FALSE.equals(m.get("little_endian"))) {
            throw new IOException(name + " was saved on a big-endian machine; only little-endian files are supported");
        }
    }

    /** An empty storage tensor, after checking that the file can hold its bytes. */
    private Tensor allocate(ScalarType dtype, long numel, String what) throws IOException {
        long bytes;
        try {
            bytes = Math.multiplyExact(numel, (long) TorchGlobals.ELEMENT_SIZE.get(dtype));
        } catch (ArithmeticException e) {
            bytes = Long.MAX_VALUE;
        }
        if (numel < 0 || bytes > data.capacity() - allocated) {
            throw new IOException(name + ": " + what + " claims " + numel + " elements, more than the file holds"
                    + " (truncated or corrupt file)");
        }
        allocated += bytes;
        Tensor t = torch.zeros(new long[] {numel}, new TensorOptions(dtype));
        t.retainReference();           // storages outlive the caller's scope, as in the zip reader
        return t;
    }

    private long readCount(ByteBuffer in, String what) throws IOException {
        need(in, 8, what);
        return in.getLong(in.position());
    }

    /** An int64 element count, which must match the storage, then its raw bytes. */
    private void readStorage(ByteBuffer in, Storage s, String what) throws IOException {
        need(in, 8, what);
        long count = in.getLong();
        if (count != s.numel) {
            throw new IOException(name + ": " + what + " holds " + count + " elements but the pickle says " + s.numel
                    + " (corrupt file)");
        }
        long bytes = count * s.elementSize;
        need(in, bytes, what);
        if (bytes > 0) {
            ByteBuffer src = in.duplicate();
            src.limit(src.position() + (int) bytes);
            new BytePointer(s.tensor.data_ptr()).capacity(bytes).asByteBuffer().put(src);
        }
        in.position(in.position() + (int) bytes);
        s.filled = true;
    }

    private void need(ByteBuffer in, long n, String what) throws IOException {
        if (n < 0 || n > in.remaining()) {
            throw new IOException(name + ": " + what + " needs " + n + " bytes but " + in.remaining()
                    + " are left (truncated or corrupt file)");
        }
    }

    private long count(Object o, ByteBuffer in, int minBytesEach, String what) throws IOException {
        if (!(o instanceof Long n) || n < 0 || n > in.remaining() / minBytesEach) {
            throw new IOException(name + ": " + what + " announces " + o + " records, more than its "
                    + in.remaining() + " bytes can hold (truncated or corrupt file)");
        }
        return n;
    }

    private Pickle.Tuple tuple(Object o, int size, String what) throws IOException {
        if (o instanceof Pickle.Tuple t && t.size() == size) {
            return t;
        }
        throw new IOException(name + " (" + what + "): corrupt record " + o + " (expected a " + size + "-tuple)");
    }

    /** Keys are ints in some pickles and their decimal strings in others (torch.load compares int(key)). */
    private static String key(Object k) {
        String s = text(k).trim();
        try {
            return new BigInteger(s).toString();
        } catch (NumberFormatException e) {
            return s;
        }
    }

    private static String text(Object o) {
        return o instanceof byte[] b ? new String(b, StandardCharsets.UTF_8) : String.valueOf(o);
    }

    /** A storage being read: its tensor is filled when its bytes are reached. */
    private static final class Storage {
        final String key;
        final Tensor tensor;
        final long numel;
        final int elementSize;
        boolean filled;

        Storage(String key, Tensor tensor, long numel, int elementSize) {
            this.key = key;
            this.tensor = tensor;
            this.numel = numel;
            this.elementSize = elementSize;
        }
    }
}
