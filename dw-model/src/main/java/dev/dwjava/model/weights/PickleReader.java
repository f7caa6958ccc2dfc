package dev.dwjava.model.weights;

import java.io.IOException;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Deque;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A restricted unpickler for the pickles inside PyTorch weight files (protocols 0–4 as Python 2 and 3 write them):
 * containers, numbers, strings, bytes, and calls of an allow-list of globals resolved by the caller. Any other global
 * is an error that names it: no arbitrary code is ever run. Every read is checked against the bytes left, so a
 * truncated or corrupt pickle is an {@link IOException} naming the source, never a runtime exception.
 */
final class PickleReader {
    /** Resolves the allowed globals: given a global and the arguments of REDUCE, returns the value. */
    interface Globals {
        Object call(Pickle.Global global, Pickle.Tuple args) throws IOException;

        boolean allowed(Pickle.Global global);
    }

    /** Resolves a persistent id (BINPERSID) to the object it stands for. */
    interface PersistentLoad {
        Object load(Object pid) throws IOException;
    }

    private static final Object MARK = new Object();
    private static final int MAX_LINE = 1 << 16;

    private final ByteBuffer in;
    private final int start;
    private final Globals globals;
    private final PersistentLoad persistentLoad;
    private final String source;
    private final Deque<Object> stack = new ArrayDeque<>();
    private final Deque<Integer> marks = new ArrayDeque<>();
    private final Map<Long, Object> memo = new HashMap<>();

    PickleReader(byte[] data, Globals globals, PersistentLoad persistentLoad, String source) {
        this(ByteBuffer.wrap(data), globals, persistentLoad, source);
    }

    /** Reads from {@code in}'s position; after {@link #load()} the position is just past the pickle's STOP. */
    PickleReader(ByteBuffer in, Globals globals, PersistentLoad persistentLoad, String source) {
        this.in = in.order(ByteOrder.LITTLE_ENDIAN);
        this.start = in.position();
        this.globals = globals;
        this.persistentLoad = persistentLoad;
        this.source = source;
    }

    Object load() throws IOException {
        while (true) {
            int at = in.position();
            int op = u8();
            switch (op) {
                case 0x80 -> u8();                                                // PROTO
                case 0x95 -> i64();                                               // FRAME
                case '}' -> push(new LinkedHashMap<>());                          // EMPTY_DICT
                case ']' -> push(new ArrayList<>());                              // EMPTY_LIST
                case ')' -> push(new Pickle.Tuple(List.of()));                    // EMPTY_TUPLE
                case 0x8f -> push(new LinkedHashSet<>());                         // EMPTY_SET
                case '(' -> marks.push(stack.size());                             // MARK
                case 'X' -> push(string(i32()));                                  // BINUNICODE
                case 0x8c -> push(string(u8()));                                  // SHORT_BINUNICODE
                case 0x8d -> push(string(i64()));                                 // BINUNICODE8
                case 'T' -> push(string(i32()));                                  // BINSTRING (Python 2 str)
                case 'U' -> push(string(u8()));                                   // SHORT_BINSTRING (Python 2 str)
                case 'C' -> push(bytes(u8()));                                    // SHORT_BINBYTES
                case 'B' -> push(bytes(i32()));                                   // BINBYTES
                case 0x8e -> push(bytes(i64()));                                  // BINBYTES8
                case 'q' -> memo.put((long) u8(), peek(at));                      // BINPUT
                case 'r' -> memo.put(i32() & 0xffffffffL, peek(at));              // LONG_BINPUT
                case 'p' -> memo.put(parseLong(line(), at), peek(at));            // PUT
                case 0x94 -> memo.put((long) memo.size(), peek(at));              // MEMOIZE
                case 'h' -> push(memoGet(u8()));                                  // BINGET
                case 'j' -> push(memoGet(i32() & 0xffffffffL));                   // LONG_BINGET
                case 'g' -> push(memoGet(parseLong(line(), at)));                 // GET
                case 'J' -> push((long) i32());                                   // BININT
                case 'K' -> push((long) u8());                                    // BININT1
                case 'M' -> push((long) (u16()));                                 // BININT2
                case 'I' -> push(textInt(line(), at));                            // INT (Python 2, > 32 bits)
                case 'L' -> push(textLong(line(), at));                           // LONG
                case 0x8a -> push(long1(u8()));                                   // LONG1
                case 0x8b -> push(long1(i32()));                                  // LONG4
                case 'G' -> push(ByteBuffer.wrap(bytes(8)).order(ByteOrder.BIG_ENDIAN).getDouble()); // BINFLOAT
                case 'F' -> push(parseDouble(line(), at));                        // FLOAT
                case 0x88 -> push(Boolean.TRUE);                                  // NEWTRUE
                case 0x89 -> push(Boolean.FALSE);                                 // NEWFALSE
                case 'N' -> push(Pickle.NONE);                                    // NONE
                case 't' -> push(new Pickle.Tuple(popMark(at)));                  // TUPLE
                case 0x85 -> push(tuple(1, at));                                  // TUPLE1
                case 0x86 -> push(tuple(2, at));                                  // TUPLE2
                case 0x87 -> push(tuple(3, at));                                  // TUPLE3
                case 'l' -> push(new ArrayList<>(popMark(at)));                   // LIST
                case 'a' -> { Object v = pop(at); list(peek(at), at).add(v); }    // APPEND
                case 'e' -> { List<Object> vs = popMark(at); list(peek(at), at).addAll(vs); } // APPENDS
                case 0x90 -> { List<Object> vs = popMark(at); set(peek(at), at).addAll(vs); } // ADDITEMS
                case 0x91 -> push(new LinkedHashSet<>(popMark(at)));              // FROZENSET
                case 'd' -> push(dict(popMark(at), new LinkedHashMap<>(), at));   // DICT
                case 's' -> { Object v = pop(at), k = pop(at); map(peek(at), at).put(k, v); } // SETITEM
                case 'u' -> { List<Object> kv = popMark(at); dict(kv, map(peek(at), at), at); } // SETITEMS
                case '0' -> pop(at);                                              // POP
                case '1' -> popMark(at);                                          // POP_MARK
                case '2' -> push(peek(at));                                       // DUP
                case 'c' -> push(global(line(), line()));                         // GLOBAL
                case 0x93 -> { String name = str(pop(at), at); push(global(str(pop(at), at), name)); } // STACK_GLOBAL
                case 'R', 0x81 -> { Pickle.Tuple args = args(pop(at), at); push(call(pop(at), args, at)); } // REDUCE, NEWOBJ
                case 'b' -> { pop(at); peek(at); }                                // BUILD: object state is not needed
                case 'Q' -> push(persistentLoad.load(pop(at)));                   // BINPERSID
                case 'P' -> push(persistentLoad.load(line()));                    // PERSID
                case '.' -> { return pop(at); }                                  // STOP
                default -> throw corrupt("unsupported pickle opcode 0x" + Integer.toHexString(op), at);
            }
        }
    }

    private IOException corrupt(String what, int at) {
        return new IOException(source + ": corrupt pickle (" + what + ") at byte " + (at - start));
    }

    private Object call(Object callable, Pickle.Tuple args, int at) throws IOException {
        if (!(callable instanceof Pickle.Global g)) {
            throw corrupt("cannot call " + callable, at);
        }
        try {
            return globals.call(g, args);
        } catch (ClassCastException | IndexOutOfBoundsException | NullPointerException e) {
            throw corrupt("bad arguments " + args.items() + " for " + g, at);
        }
    }

    private Pickle.Tuple args(Object o, int at) throws IOException {
        if (o instanceof Pickle.Tuple t) {
            return t;
        }
        throw corrupt("call arguments are a " + describe(o) + ", not a tuple", at);
    }

    private Pickle.Global global(String module, String name) throws IOException {
        Pickle.Global g = new Pickle.Global(module, name);
        if (!globals.allowed(g)) {
            throw new IOException(source + ": refusing to load global '" + g + "': weight files may only reference "
                    + "tensors, storages and containers (arbitrary code is never run)");
        }
        return g;
    }

    private Object memoGet(long key) throws IOException {
        if (!memo.containsKey(key)) {
            throw corrupt("memo key " + key + " missing", in.position());
        }
        return memo.get(key);
    }

    private void push(Object o) {
        stack.push(o);
    }

    private Object pop(int at) throws IOException {
        if (stack.size() <= (marks.isEmpty() ? 0 : marks.peek())) {
            throw corrupt("stack underflow", at);
        }
        return stack.pop();
    }

    private Object peek(int at) throws IOException {
        if (stack.isEmpty()) {
            throw corrupt("stack underflow", at);
        }
        return stack.peek();
    }

    private List<Object> popMark(int at) throws IOException {
        if (marks.isEmpty()) {
            throw corrupt("no MARK", at);
        }
        int mark = marks.pop();
        Object[] items = new Object[stack.size() - mark];
        for (int k = items.length - 1; k >= 0; k--) {
            items[k] = stack.pop();
        }
        return new ArrayList<>(java.util.Arrays.asList(items));
    }

    private Pickle.Tuple tuple(int n, int at) throws IOException {
        Object[] items = new Object[n];
        for (int k = n - 1; k >= 0; k--) {
            items[k] = pop(at);
        }
        return new Pickle.Tuple(java.util.Arrays.asList(items));
    }

    private Map<Object, Object> dict(List<Object> kv, Map<Object, Object> into, int at) throws IOException {
        if (kv.size() % 2 != 0) {
            throw corrupt("odd number of dict items", at);
        }
        for (int k = 0; k + 1 < kv.size(); k += 2) {
            into.put(kv.get(k), kv.get(k + 1));
        }
        return into;
    }

    @SuppressWarnings("unchecked")
    private Map<Object, Object> map(Object o, int at) throws IOException {
        if (o instanceof Map<?, ?> m) {
            return (Map<Object, Object>) m;
        }
        throw corrupt("SETITEM on a " + describe(o), at);
    }

    @SuppressWarnings("unchecked")
    private List<Object> list(Object o, int at) throws IOException {
        if (o instanceof List<?> l) {
            return (List<Object>) l;
        }
        throw corrupt("APPEND on a " + describe(o), at);
    }

    @SuppressWarnings("unchecked")
    private Collection<Object> set(Object o, int at) throws IOException {
        if (o instanceof Set<?> s) {
            return (Set<Object>) s;
        }
        throw corrupt("ADDITEMS on a " + describe(o), at);
    }

    private String str(Object o, int at) throws IOException {
        if (o instanceof String s) {
            return s;
        }
        throw corrupt("STACK_GLOBAL on a " + describe(o), at);
    }

    private static String describe(Object o) {
        return o == null ? "null" : o.getClass().getSimpleName();
    }

    private void need(long n) throws IOException {
        if (n < 0 || n > in.remaining()) {
            throw new IOException(source + ": truncated or corrupt pickle: " + n + " bytes needed at byte "
                    + (in.position() - start) + ", " + in.remaining() + " left");
        }
    }

    private int u8() throws IOException {
        need(1);
        return in.get() & 0xff;
    }

    private int u16() throws IOException {
        need(2);
        return in.getShort() & 0xffff;
    }

    private int i32() throws IOException {
        need(4);
        return in.getInt();
    }

    private long i64() throws IOException {
        need(8);
        return in.getLong();
    }

    private String string(long n) throws IOException {
        return new String(bytes(n), StandardCharsets.UTF_8);
    }

    private byte[] bytes(long n) throws IOException {
        need(n);
        byte[] b = new byte[(int) n];
        in.get(b);
        return b;
    }

    private String line() throws IOException {
        StringBuilder sb = new StringBuilder();
        for (int c = u8(); c != '\n'; c = u8()) {
            if (sb.length() >= MAX_LINE) {
                throw corrupt("text line too long", in.position());
            }
            sb.append((char) c);
        }
        return sb.toString();
    }

    private long parseLong(String s, int at) throws IOException {
        try {
            return Long.parseLong(s.trim());
        } catch (NumberFormatException e) {
            throw corrupt("bad integer '" + s + "'", at);
        }
    }

    private double parseDouble(String s, int at) throws IOException {
        try {
            return Double.parseDouble(s.trim());
        } catch (NumberFormatException e) {
            throw corrupt("bad float '" + s + "'", at);
        }
    }

    /** INT: "01"/"00" are Python 2's True/False; other values may exceed a long. */
    private Object textInt(String s, int at) throws IOException {
        return switch (s) {
            case "01" -> Boolean.TRUE;
            case "00" -> Boolean.FALSE;
            default -> textLong(s, at);
        };
    }

    private Object textLong(String s, int at) throws IOException {
        String digits = s.endsWith("L") ? s.substring(0, s.length() - 1) : s;
        try {
            BigInteger v = new BigInteger(digits.trim());
            return v.bitLength() < 64 ? (Object) v.longValue() : v;
        } catch (NumberFormatException e) {
            throw corrupt("bad integer '" + s + "'", at);
        }
    }

    private Object long1(long n) throws IOException {
        byte[] le = bytes(n);
        if (n == 0) {
            return 0L;
        }
        byte[] be = new byte[le.length];
        for (int k = 0; k < le.length; k++) {
            be[k] = le[le.length - 1 - k];
        }
        BigInteger v = new BigInteger(be);
        return v.bitLength() < 64 ? (Object) v.longValue() : v;
    }
}
