package dev.dwjava.core.reference;

import java.util.ArrayList;
import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import dev.dwjava.core.tensor.Tensors;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch.ScalarType;

/** Rectangular nested JSON lists ↔ tensors (row-major), as the reference case files store them. */
public final class NestedArrays {
    private NestedArrays() {}

    /**
     * Reads a rectangular nested list of numbers.
     *
     * @param node  the JSON list
     * @param dtype float32 or float64 (int64 for {@link #toLongTensor})
     * @param what  name used in error messages, e.g. {@code inputs.cls_scores[2]}
     */
    public static Tensor toTensor(JsonNode node, ScalarType dtype, String what) {
        List<Long> shape = new ArrayList<>();
        shapeOf(node, shape, what);
        double[] data = new double[Math.toIntExact(numel(shape))];
        fill(node, data, new int[] {0}, what);
        return Tensors.of(data, dtype, toArray(shape));
    }

    /** Reads a rectangular nested list of integers as int64. */
    public static Tensor toLongTensor(JsonNode node, String what) {
        List<Long> shape = new ArrayList<>();
        shapeOf(node, shape, what);
        double[] data = new double[Math.toIntExact(numel(shape))];
        fill(node, data, new int[] {0}, what);
        long[] longs = new long[data.length];
        for (int k = 0; k < data.length; k++) {
            longs[k] = (long) data[k];
        }
        return Tensors.ofLongs(longs, toArray(shape));
    }

    /** Writes a tensor as a nested list (float64 numbers, shortest round-trip decimals). */
    public static JsonNode toJson(Tensor t) {
        double[] data = Tensors.toDoubles(t);
        return build(t.shape(), 0, data, new int[] {0});
    }

    private static JsonNode build(long[] shape, int dim, double[] data, int[] pos) {
        if (dim == shape.length) {
            return JsonNodeFactory.instance.numberNode(data[pos[0]++]);
        }
        ArrayNode arr = JsonNodeFactory.instance.arrayNode();
        for (long k = 0; k < shape[dim]; k++) {
            arr.add(build(shape, dim + 1, data, pos));
        }
        return arr;
    }

    private static void shapeOf(JsonNode node, List<Long> shape, String what) {
        JsonNode cur = node;
        while (cur.isArray()) {
            shape.add((long) cur.size());
            if (cur.isEmpty()) {
                return;
            }
            cur = cur.get(0);
        }
        if (!cur.isNumber()) {
            throw new IllegalArgumentException(what + ": expected numbers in a nested list, found " + cur.getNodeType());
        }
    }

    private static void fill(JsonNode node, double[] out, int[] pos, String what) {
        if (node.isNumber()) {
            out[pos[0]++] = node.asDouble();
            return;
        }
        if (!node.isArray()) {
            throw new IllegalArgumentException(what + ": expected a number or list, found " + node.getNodeType());
        }
        for (JsonNode child : node) {
            if (pos[0] >= out.length && child.isNumber()) {
                throw new IllegalArgumentException(what + ": the nested list is not rectangular");
            }
            fill(child, out, pos, what);
        }
    }

    private static long numel(List<Long> shape) {
        long n = 1;
        for (long d : shape) {
            n *= d;
        }
        return n;
    }

    private static long[] toArray(List<Long> shape) {
        return shape.stream().mapToLong(Long::longValue).toArray();
    }
}
