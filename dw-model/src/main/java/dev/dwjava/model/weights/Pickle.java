package dev.dwjava.model.weights;

import java.util.List;

/** Python values that have no direct Java counterpart, as the pickle reader and writer represent them. */
public final class Pickle {
    private Pickle() {}

    /** A Python tuple. */
    public record Tuple(List<Object> items) {
        /** Element {@code i} of the tuple. */
        public Object get(int i) {
            return items.get(i);
        }

        /** The tuple's length. */
        public int size() {
            return items.size();
        }
    }

    /** A reference to a module-level Python object ({@code GLOBAL module name}). */
    public record Global(String module, String name) {
        @Override
        public String toString() {
            return module + "." + name;
        }
    }

    /** The {@code None} value inside containers that cannot hold Java null. */
    public static final Object NONE = new Object() {
        @Override
        public String toString() {
            return "None";
        }
    };
}
