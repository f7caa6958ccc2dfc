package dev.dwjava.model.weights;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch.ScalarType;

/**
 * The globals a weights pickle may name, for every file layout: {@code collections.OrderedDict}, the tensor and
 * parameter rebuild functions, the storage and (legacy) tensor types, and numpy scalars/dtypes that checkpoint
 * metadata may hold. Anything else is refused by {@link PickleReader}, naming it.
 */
final class TorchGlobals implements PickleReader.Globals {
    static final Map<String, ScalarType> STORAGE_TYPES = Map.ofEntries(
            Map.entry("FloatStorage", ScalarType.Float), Map.entry("DoubleStorage", ScalarType.Double),
            Map.entry("HalfStorage", ScalarType.Half), Map.entry("BFloat16Storage", ScalarType.BFloat16),
            Map.entry("LongStorage", ScalarType.Long), Map.entry("IntStorage", ScalarType.Int),
            Map.entry("ShortStorage", ScalarType.Short), Map.entry("CharStorage", ScalarType.Char),
            Map.entry("ByteStorage", ScalarType.Byte), Map.entry("BoolStorage", ScalarType.Bool));
    /** Bytes per element of each storage type. */
    static final Map<ScalarType, Integer> ELEMENT_SIZE = Map.of(ScalarType.Float, 4, ScalarType.Double, 8,
            ScalarType.Half, 2, ScalarType.BFloat16, 2, ScalarType.Long, 8, ScalarType.Int, 4, ScalarType.Short, 2,
            ScalarType.Char, 1, ScalarType.Byte, 1, ScalarType.Bool, 1);
    private static final Set<String> CALLABLES = Set.of("collections.OrderedDict", "torch._utils._rebuild_tensor_v2",
            "torch._utils._rebuild_tensor", "torch._utils._rebuild_parameter", "numpy.core.multiarray.scalar",
            "numpy.dtype", "_codecs.encode", "builtins.set", "torch.Size");

    private final String source;

    TorchGlobals(String source) {
        this.source = source;
    }

    @Override
    public boolean allowed(Pickle.Global g) {
        if (CALLABLES.contains(g.toString())) {
            return true;
        }
        // Storage types; legacy files also name the tensor types, and torch.cuda.* when saved from a GPU.
        boolean torchModule = g.module().equals("torch") || g.module().equals("torch.cuda");
        return torchModule && (STORAGE_TYPES.containsKey(g.name())
                || g.name().endsWith("Tensor") && STORAGE_TYPES.containsKey(g.name().replace("Tensor", "Storage")));
    }

    @Override
    public Object call(Pickle.Global g, Pickle.Tuple a) throws IOException {
        return switch (g.toString()) {
            case "collections.OrderedDict" -> orderedDict(a);
            case "torch._utils._rebuild_tensor_v2", "torch._utils._rebuild_tensor" -> rebuild(a);
            case "torch._utils._rebuild_parameter" -> a.get(0);
            case "builtins.set" -> a.size() == 0 ? new LinkedHashSet<>() : new LinkedHashSet<>((List<?>) a.get(0));
            case "torch.Size" -> a.get(0);
            case "_codecs.encode" -> a.get(0).toString().getBytes(StandardCharsets.ISO_8859_1);
            case "numpy.dtype" -> a.get(0).toString();
            case "numpy.core.multiarray.scalar" -> numpyScalar(a.get(0).toString(), (byte[]) a.get(1));
            default -> throw new IOException(source + ": cannot call " + g);
        };
    }

    /** The dtype of a storage type global ({@code torch.FloatStorage}, ...). */
    static ScalarType storageType(Object type, String source) throws IOException {
        String name = type instanceof Pickle.Global g ? g.name() : String.valueOf(type);
        ScalarType st = STORAGE_TYPES.get(name);
        if (st == null) {
            throw new IOException(source + ": unsupported storage type " + type);
        }
        return st;
    }

    /** Python 3 pickles {@code OrderedDict()} then SETITEMS; Python 2 pickled {@code OrderedDict([[k, v], ...])}. */
    private Map<Object, Object> orderedDict(Pickle.Tuple a) throws IOException {
        Map<Object, Object> m = new LinkedHashMap<>();
        if (a.size() > 0 && a.get(0) instanceof List<?> items) {
            for (Object item : items) {
                List<?> kv = item instanceof Pickle.Tuple t ? t.items() : item instanceof List<?> l ? l : null;
                if (kv == null || kv.size() != 2) {
                    throw new IOException(source + ": corrupt OrderedDict item " + item);
                }
                m.put(kv.get(0), kv.get(1));
            }
        }
        return m;
    }

    /** (storage, offset, size, stride, requires_grad, hooks[, metadata]) → a strided view of the storage. */
    private Tensor rebuild(Pickle.Tuple a) throws IOException {
        if (a.size() < 4 || !(a.get(0) instanceof StorageRef storage) || !(a.get(1) instanceof Long offset)) {
            throw new IOException(source + ": corrupt tensor record " + a.items());
        }
        return storage.view(longs(a.get(2)), longs(a.get(3)), offset, source);
    }

    private long[] longs(Object o) throws IOException {
        if (!(o instanceof Pickle.Tuple t)) {
            throw new IOException(source + ": corrupt tensor shape " + o);
        }
        long[] out = new long[t.size()];
        for (int k = 0; k < out.length; k++) {
            if (!(t.get(k) instanceof Long v)) {
                throw new IOException(source + ": corrupt tensor shape " + t.items());
            }
            out[k] = v;
        }
        return out;
    }

    private static Object numpyScalar(String dtype, byte[] b) {
        ByteBuffer buf = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
        return switch (dtype) {
            case "f8" -> b.length == 8 ? buf.getDouble() : dtype + " scalar";
            case "f4" -> b.length == 4 ? (double) buf.getFloat() : dtype + " scalar";
            case "i8" -> b.length == 8 ? buf.getLong() : dtype + " scalar";
            case "i4" -> b.length == 4 ? (long) buf.getInt() : dtype + " scalar";
            default -> dtype + " scalar";
        };
    }
}
