package dev.dwjava.model.onnx;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.WireFormat;

/**
 * An ONNX graph under construction and its encoding as an ONNX {@code ModelProto}. Field numbers are those of the
 * published {@code onnx.proto} (ModelProto, GraphProto, NodeProto, AttributeProto, TensorProto, ValueInfoProto,
 * TypeProto, TensorShapeProto, OperatorSetIdProto); messages are encoded with {@link CodedOutputStream} as they are
 * added, so the graph holds bytes, not tensors.
 */
final class OnnxGraph {
    /** TensorProto.DataType values. */
    static final int FLOAT = 1, INT64 = 7;

    // ModelProto
    private static final int MODEL_IR_VERSION = 1, MODEL_PRODUCER_NAME = 2, MODEL_PRODUCER_VERSION = 3, MODEL_DOC = 6,
            MODEL_GRAPH = 7, MODEL_OPSET_IMPORT = 8;
    // OperatorSetIdProto
    private static final int OPSET_DOMAIN = 1, OPSET_VERSION = 2;
    // GraphProto
    private static final int GRAPH_NODE = 1, GRAPH_NAME = 2, GRAPH_INITIALIZER = 5, GRAPH_INPUT = 11, GRAPH_OUTPUT = 12;
    // NodeProto
    private static final int NODE_INPUT = 1, NODE_OUTPUT = 2, NODE_NAME = 3, NODE_OP_TYPE = 4, NODE_ATTRIBUTE = 5;
    // AttributeProto and its AttributeType
    private static final int ATTR_NAME = 1, ATTR_F = 2, ATTR_I = 3, ATTR_S = 4, ATTR_INTS = 8, ATTR_TYPE = 20;
    private static final int TYPE_FLOAT = 1, TYPE_INT = 2, TYPE_STRING = 3, TYPE_INTS = 7;
    // TensorProto
    private static final int TENSOR_DIMS = 1, TENSOR_DATA_TYPE = 2, TENSOR_NAME = 8, TENSOR_RAW_DATA = 9;
    // ValueInfoProto, TypeProto, TypeProto.Tensor, TensorShapeProto, TensorShapeProto.Dimension
    private static final int VALUE_NAME = 1, VALUE_TYPE = 2, TYPE_TENSOR = 1, TENSOR_ELEM_TYPE = 1, TENSOR_SHAPE = 2,
            SHAPE_DIM = 1, DIM_VALUE = 1, DIM_PARAM = 2;

    /** One node attribute; build with the static factories. */
    record Attr(String name, int type, long i, float f, String s, long[] ints) {
        static Attr i(String name, long v) {
            return new Attr(name, TYPE_INT, v, 0, null, null);
        }

        static Attr f(String name, float v) {
            return new Attr(name, TYPE_FLOAT, 0, v, null, null);
        }

        static Attr s(String name, String v) {
            return new Attr(name, TYPE_STRING, 0, 0, v, null);
        }

        static Attr ints(String name, long... v) {
            return new Attr(name, TYPE_INTS, 0, 0, null, v.clone());
        }
    }

    private final List<byte[]> nodes = new ArrayList<>();
    private final List<byte[]> initializers = new ArrayList<>();
    private final List<byte[]> inputs = new ArrayList<>();
    private final List<byte[]> outputs = new ArrayList<>();
    private final Map<String, String> constants = new HashMap<>();
    private final java.util.Set<String> initializerNames = new java.util.HashSet<>();
    private final String name;
    private String scope = "";
    private int counter;
    private long initializerBytes;

    OnnxGraph(String name) {
        this.name = name;
    }

    /** Prefix of the value names made from now on (the module being exported), for readable graphs. */
    void scope(String s) {
        scope = s;
    }

    int nodeCount() {
        return nodes.size();
    }

    long initializerBytes() {
        return initializerBytes;
    }

    /** A node with one output, named after the scope and the op. */
    String op(String opType, List<String> in, Attr... attrs) {
        String out = scope + "/" + opType + "_" + counter++;
        opTo(out, opType, in, attrs);
        return out;
    }

    String op(String opType, String a, Attr... attrs) {
        return op(opType, List.of(a), attrs);
    }

    String op(String opType, String a, String b, Attr... attrs) {
        return op(opType, List.of(a, b), attrs);
    }

    /** A node whose one output is {@code out}. */
    void opTo(String out, String opType, List<String> in, Attr... attrs) {
        nodes.add(encode(o -> {
            for (String s : in) {
                o.writeString(NODE_INPUT, s);
            }
            o.writeString(NODE_OUTPUT, out);
            o.writeString(NODE_NAME, "node_" + nodes.size());
            o.writeString(NODE_OP_TYPE, opType);
            for (Attr a : attrs) {
                o.writeByteArray(NODE_ATTRIBUTE, encode(w -> {
                    w.writeString(ATTR_NAME, a.name());
                    w.writeEnum(ATTR_TYPE, a.type());
                    switch (a.type()) {
                        case TYPE_INT -> w.writeInt64(ATTR_I, a.i());
                        case TYPE_FLOAT -> w.writeFloat(ATTR_F, a.f());
                        case TYPE_STRING -> w.writeByteArray(ATTR_S, a.s().getBytes(java.nio.charset.StandardCharsets.UTF_8));
                        default -> {
                            for (long v : a.ints()) {
                                w.writeInt64(ATTR_INTS, v);
                            }
                        }
                    }
                }));
            }
        }));
    }

    /** A float initializer named {@code name} (once; a second call with the same name returns it). */
    String weight(String name, float[] data, long... dims) {
        if (initializerNames.add(name)) {
            ByteBuffer raw = ByteBuffer.allocate(4 * data.length).order(ByteOrder.LITTLE_ENDIAN);
            raw.asFloatBuffer().put(data);
            initializer(name, FLOAT, raw.array(), dims);
        }
        return name;
    }

    /** A float constant of shape {@code dims}; equal constants are shared. */
    String constFloats(long[] dims, float... v) {
        String key = "f" + Arrays.toString(dims) + Arrays.toString(v);
        String existing = constants.get(key);
        if (existing != null) {
            return existing;
        }
        String n = "const_" + constants.size();
        constants.put(key, n);
        return weight(n, v, dims);
    }

    /** A 0-dim float constant. */
    String scalar(float v) {
        return constFloats(new long[0], v);
    }

    /** A 1-D int64 constant (axes, shapes, slice bounds). */
    String ints(long... v) {
        return constLongs(new long[] {v.length}, v);
    }

    /** A 0-dim int64 constant (a Gather index that drops the axis). */
    String index(long v) {
        return constLongs(new long[0], v);
    }

    private String constLongs(long[] dims, long... v) {
        String key = "i" + Arrays.toString(dims) + Arrays.toString(v);
        String existing = constants.get(key);
        if (existing != null) {
            return existing;
        }
        String n = "const_" + constants.size();
        constants.put(key, n);
        initializerNames.add(n);
        ByteBuffer raw = ByteBuffer.allocate(8 * v.length).order(ByteOrder.LITTLE_ENDIAN);
        raw.asLongBuffer().put(v);
        initializer(n, INT64, raw.array(), dims);
        return n;
    }

    private void initializer(String n, int dataType, byte[] raw, long[] dims) {
        initializerBytes += raw.length;
        initializers.add(encode(o -> {
            for (long d : dims) {
                o.writeInt64(TENSOR_DIMS, d);
            }
            o.writeInt32(TENSOR_DATA_TYPE, dataType);
            o.writeString(TENSOR_NAME, n);
            o.writeByteArray(TENSOR_RAW_DATA, raw);
        }));
    }

    /** A graph input; each dim is a Long (fixed) or a String (symbolic). */
    void input(String n, int elemType, Object... dims) {
        inputs.add(valueInfo(n, elemType, dims));
    }

    /** A graph output; each dim is a Long (fixed) or a String (symbolic). */
    void output(String n, int elemType, Object... dims) {
        outputs.add(valueInfo(n, elemType, dims));
    }

    private static byte[] valueInfo(String n, int elemType, Object[] dims) {
        byte[] shape = encode(s -> {
            for (Object d : dims) {
                s.writeByteArray(SHAPE_DIM, encode(dim -> {
                    if (d instanceof String p) {
                        dim.writeString(DIM_PARAM, p);
                    } else {
                        dim.writeInt64(DIM_VALUE, ((Number) d).longValue());
                    }
                }));
            }
        });
        byte[] tensorType = encode(t -> {
            t.writeInt32(TENSOR_ELEM_TYPE, elemType);
            t.writeByteArray(TENSOR_SHAPE, shape);
        });
        byte[] type = encode(t -> t.writeByteArray(TYPE_TENSOR, tensorType));
        return encode(v -> {
            v.writeString(VALUE_NAME, n);
            v.writeByteArray(VALUE_TYPE, type);
        });
    }

    /** Writes the ModelProto: IR version, producer, the default-domain opset, this graph. */
    void writeModel(OutputStream out, long irVersion, long opset, String producer, String producerVersion, String doc)
            throws IOException {
        byte[] graphName = encode(o -> o.writeString(GRAPH_NAME, name));
        long graphSize = graphName.length;
        for (List<byte[]> part : List.of(nodes, initializers, inputs, outputs)) {
            for (byte[] m : part) {
                graphSize += CodedOutputStream.computeByteArraySize(GRAPH_NODE, m);   // the tag size is the same for 1..15
            }
        }
        CodedOutputStream o = CodedOutputStream.newInstance(out, 1 << 16);
        o.writeInt64(MODEL_IR_VERSION, irVersion);
        o.writeString(MODEL_PRODUCER_NAME, producer);
        o.writeString(MODEL_PRODUCER_VERSION, producerVersion);
        o.writeString(MODEL_DOC, doc);
        o.writeByteArray(MODEL_OPSET_IMPORT, encode(s -> {
            s.writeString(OPSET_DOMAIN, "");
            s.writeInt64(OPSET_VERSION, opset);
        }));
        o.writeTag(MODEL_GRAPH, WireFormat.WIRETYPE_LENGTH_DELIMITED);
        o.writeUInt64NoTag(graphSize);
        for (byte[] m : nodes) {
            o.writeByteArray(GRAPH_NODE, m);
        }
        o.writeRawBytes(graphName);
        for (byte[] m : initializers) {
            o.writeByteArray(GRAPH_INITIALIZER, m);
        }
        for (byte[] m : inputs) {
            o.writeByteArray(GRAPH_INPUT, m);
        }
        for (byte[] m : outputs) {
            o.writeByteArray(GRAPH_OUTPUT, m);
        }
        o.flush();
    }

    private interface Body {
        void write(CodedOutputStream o) throws IOException;
    }

    private static byte[] encode(Body body) {
        try {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            CodedOutputStream o = CodedOutputStream.newInstance(bytes);
            body.write(o);
            o.flush();
            return bytes.toByteArray();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);   // a ByteArrayOutputStream does not fail
        }
    }
}
