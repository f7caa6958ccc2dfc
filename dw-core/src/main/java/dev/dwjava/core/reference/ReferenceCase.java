package dev.dwjava.core.reference;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch.ScalarType;

/**
 * A case file in the layout of {@code testdata/dw_reference}: inputs given to the original implementation and what it
 * computed ({@code expected}). Per-level tensors are NCHW nested lists, {@code t[level][b][c][i][j]}.
 */
public final class ReferenceCase {
    /** What a case exercises, recognised from its inputs. */
    public enum Kind {
        /** {@code DWHead.loss}: losses and gradients. */
        LOSS,
        /** Box refinement of the head's forward. */
        REFINE,
        /** Test-time post-processing. */
        POSTPROCESS
    }

    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path file;
    private final JsonNode root;

    private ReferenceCase(Path file, JsonNode root) {
        this.file = file;
        this.root = root;
    }

    /** Reads a case; errors name the file and the missing key. */
    public static ReferenceCase read(Path file) {
        JsonNode root;
        try {
            root = JSON.readTree(Files.readAllBytes(file));
        } catch (NoSuchFileException e) {
            throw new IllegalArgumentException("reference case not found: " + file);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException(file + " is not valid JSON: " + e.getOriginalMessage()
                    + " (line " + e.getLocation().getLineNr() + ")");
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read reference case " + file + ": " + e.getMessage());
        }
        ReferenceCase c = new ReferenceCase(file, root);
        c.require("inputs");
        c.kind();
        return c;
    }

    public Path file() {
        return file;
    }

    /** The whole document. */
    public JsonNode root() {
        return root;
    }

    /** The case kind, from the keys of {@code inputs}. */
    public Kind kind() {
        JsonNode in = require("inputs");
        if (in.has("coarse_distances")) {
            return Kind.REFINE;
        }
        if (in.has("gt_bboxes")) {
            return Kind.LOSS;
        }
        if (in.has("img_metas") || root.has("test_cfg")) {
            return Kind.POSTPROCESS;
        }
        throw new IllegalArgumentException(file + ": cannot tell the case kind from the keys of 'inputs' " + fieldNames(in));
    }

    /** The dtype the original computed in: float64 unless the file's {@code dtype} says float32. */
    public ScalarType dtype() {
        JsonNode d = root.get("dtype");
        return d != null && d.asText().startsWith("float32") ? ScalarType.Float : ScalarType.Double;
    }

    /** The FPN strides, default 8..128. */
    public int[] strides() {
        JsonNode s = root.get("strides");
        if (s == null) {
            return new int[] {8, 16, 32, 64, 128};
        }
        int[] out = new int[s.size()];
        for (int k = 0; k < out.length; k++) {
            out[k] = s.get(k).asInt();
        }
        return out;
    }

    /** {@code inputs.<key>}, required. */
    public JsonNode input(String key) {
        JsonNode in = require("inputs");
        JsonNode v = in.get(key);
        if (v == null) {
            throw new IllegalArgumentException(file + ": missing key inputs." + key);
        }
        return v;
    }

    /** The {@code expected} block, or null when the file has none (a case to run, not to check). */
    public JsonNode expected() {
        return root.get("expected");
    }

    /** {@code inputs.<key>} as one tensor per level. */
    public List<Tensor> levels(String key, ScalarType dtype) {
        JsonNode node = input(key);
        List<Tensor> out = new ArrayList<>();
        for (int l = 0; l < node.size(); l++) {
            out.add(NestedArrays.toTensor(node.get(l), dtype, "inputs." + key + "[" + l + "]"));
        }
        return out;
    }

    private JsonNode require(String key) {
        JsonNode v = root.get(key);
        if (v == null) {
            throw new IllegalArgumentException(file + ": missing key '" + key + "' (keys: " + fieldNames(root) + ")");
        }
        return v;
    }

    private static List<String> fieldNames(JsonNode node) {
        List<String> names = new ArrayList<>();
        node.fieldNames().forEachRemaining(names::add);
        return names;
    }
}
