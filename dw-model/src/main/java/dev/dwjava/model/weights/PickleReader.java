package dev.dwjava.model.weights;

import java.io.IOException;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * A restricted unpickler for the pickles inside PyTorch checkpoint files (protocols 2–4): containers, numbers,
 * strings, bytes, and calls of an allow-list of globals resolved by the caller. Any other global is an error that
 * names it: no arbitrary code is ever run.
 */
final class PickleReader {
    /** Resolves the allowed globals: given a global and the arguments of REDUCE, returns the value. */
    interface Globals {
        Object call(Pickle.Global global, Pickle.Tuple args);

        boolean allowed(Pickle.Global global);
    }

    private static final Object MARK = new Object();

    private final ByteBuffer in;
    private final Globals globals;
    private final Function<Object, Object> persistentLoad;
    private final String source;
    private final Deque<Object> stack = new ArrayDeque<>();
    private final Deque<Integer> marks = new ArrayDeque<>();
    private final Map<Integer, Object> memo = new HashMap<>();
    private final List<Object> stackList = new ArrayList<>();

    PickleReader(byte[] data, Globals globals, Function<Object, Object> persistentLoad, String source) {
        this.in = ByteBuffer.wrap(data).order(ByteOrder.LITTLE_ENDIAN);
        this.globals = globals;
        this.persistentLoad = persistentLoad;
        this.source = source;
    }

    Object load() throws IOException {
        while (true) {
            int op = in.get() & 0xff;
            switch (op) {
                case 0x80 -> in.get();                                            // PROTO
                case 0x95 -> in.getLong();                                        // FRAME
                case '}' -> push(new LinkedHashMap<>());                          // EMPTY_DICT
                case ']' -> push(new ArrayList<>());                              // EMPTY_LIST
                case ')' -> push(new Pickle.Tuple(List.of()));                    // EMPTY_TUPLE
                case '(' -> { marks.push(stack.size()); }                         // MARK
                case 'X' -> push(string(in.getInt()));                            // BINUNICODE
                case 0x8c -> push(string(in.get() & 0xff));                       // SHORT_BINUNICODE
                case 0x8d -> push(string(Math.toIntExact(in.getLong())));         // BINUNICODE8
                case 'C' -> push(bytes(in.get() & 0xff));                         // SHORT_BINBYTES
                case 'B' -> push(bytes(in.getInt()));                             // BINBYTES
                case 'q' -> memo.put(in.get() & 0xff, stack.peek());              // BINPUT
                case 'r' -> memo.put(in.getInt(), stack.peek());                  // LONG_BINPUT
                case 0x94 -> memo.put(memo.size(), stack.peek());                 // MEMOIZE
                case 'h' -> push(memoGet(in.get() & 0xff));                       // BINGET
                case 'j' -> push(memoGet(in.getInt()));                           // LONG_BINGET
                case 'J' -> push((long) in.getInt());                             // BININT
                case 'K' -> push((long) (in.get() & 0xff));                       // BININT1
                case 'M' -> push((long) (in.getShort() & 0xffff));                // BININT2
                case 0x8a -> push(long1(in.get() & 0xff));                        // LONG1
                case 'G' -> push(ByteBuffer.wrap(bytes(8)).order(ByteOrder.BIG_ENDIAN).getDouble()); // BINFLOAT
                case 0x88 -> push(Boolean.TRUE);                                  // NEWTRUE
                case 0x89 -> push(Boolean.FALSE);                                 // NEWFALSE
                case 'N' -> push(Pickle.NONE);                                    // NONE
                case 't' -> push(new Pickle.Tuple(popMark()));                    // TUPLE
                case 0x85 -> push(tuple(1));                                      // TUPLE1
                case 0x86 -> push(tuple(2));                                      // TUPLE2
                case 0x87 -> push(tuple(3));                                      // TUPLE3
                case 'l' -> push(new ArrayList<>(popMark()));                     // LIST
                case 'a' -> { Object v = pop(); list(stack.peek()).add(v); }       // APPEND
                case 'e' -> { List<Object> vs = popMark(); list(stack.peek()).addAll(vs); } // APPENDS
                case 'd' -> push(dict(popMark(), new LinkedHashMap<>()));         // DICT
                case 's' -> { Object v = pop(), k = pop(); map(stack.peek()).put(k, v); }   // SETITEM
                case 'u' -> { List<Object> kv = popMark(); dict(kv, map(stack.peek())); }   // SETITEMS
                case 'c' -> push(global(line(), line()));                         // GLOBAL
                case 0x93 -> { String name = (String) pop(); push(global((String) pop(), name)); } // STACK_GLOBAL
                case 'R' -> { Pickle.Tuple args = (Pickle.Tuple) pop(); push(call(pop(), args)); } // REDUCE
                case 0x81 -> { Pickle.Tuple args = (Pickle.Tuple) pop(); push(call(pop(), args)); } // NEWOBJ
                case 'b' -> pop();                                                // BUILD: object state is not needed
                case 'Q' -> push(persistentLoad.apply(pop()));                    // BINPERSID
                case '.' -> { return pop(); }                                     // STOP
                default -> throw new IOException(source + ": unsupported pickle opcode 0x" + Integer.toHexString(op)
                        + " at byte " + (in.position() - 1));
            }
        }
    }

    private Object call(Object callable, Pickle.Tuple args) throws IOException {
        if (!(callable instanceof Pickle.Global g)) {
            throw new IOException(source + ": cannot call " + callable);
        }
        return globals.call(g, args);
    }

    private Pickle.Global global(String module, String name) throws IOException {
        Pickle.Global g = new Pickle.Global(module, name);
        if (!globals.allowed(g)) {
            throw new IOException(source + ": refusing to load global '" + g + "': weight files may only reference "
                    + "tensors, storages and containers (arbitrary code is never run)");
        }
        return g;
    }

    private Object memoGet(int key) throws IOException {
        if (!memo.containsKey(key)) {
            throw new IOException(source + ": corrupt pickle, memo key " + key + " missing");
        }
        return memo.get(key);
    }

    private void push(Object o) {
        stack.push(o);
    }

    private Object pop() {
        return stack.pop();
    }

    private List<Object> popMark() {
        int mark = marks.pop();
        stackList.clear();
        while (stack.size() > mark) {
            stackList.add(0, stack.pop());
        }
        return new ArrayList<>(stackList);
    }

    private Pickle.Tuple tuple(int n) {
        Object[] items = new Object[n];
        for (int k = n - 1; k >= 0; k--) {
            items[k] = pop();
        }
        return new Pickle.Tuple(java.util.Arrays.asList(items));
    }

    private static Map<Object, Object> dict(List<Object> kv, Map<Object, Object> into) {
        for (int k = 0; k + 1 < kv.size(); k += 2) {
            into.put(kv.get(k), kv.get(k + 1));
        }
        return into;
    }

    @SuppressWarnings("unchecked")
    private Map<Object, Object> map(Object o) throws IOException {
        if (o instanceof Map<?, ?> m) {
            return (Map<Object, Object>) m;
        }
        throw new IOException(source + ": SETITEM on a " + (o == null ? "null" : o.getClass().getSimpleName()));
    }

    @SuppressWarnings("unchecked")
    private List<Object> list(Object o) throws IOException {
        if (o instanceof List<?> l) {
            return (List<Object>) l;
        }
        throw new IOException(source + ": APPEND on a " + (o == null ? "null" : o.getClass().getSimpleName()));
    }

    private String string(int n) {
        return new String(bytes(n), StandardCharsets.UTF_8);
    }

    private byte[] bytes(int n) {
        byte[] b = new byte[n];
        in.get(b);
        return b;
    }

    private String line() {
        StringBuilder sb = new StringBuilder();
        for (byte c = in.get(); c != '\n'; c = in.get()) {
            sb.append((char) c);
        }
        return sb.toString();
    }

    private Object long1(int n) {
        byte[] le = bytes(n);
        if (n == 0) {
            return 0L;
        }
        byte[] be = new byte[n];
        for (int k = 0; k < n; k++) {
            be[k] = le[n - 1 - k];
        }
        BigInteger v = new BigInteger(be);
        return v.bitLength() < 64 ? (Object) v.longValue() : v;
    }
}
