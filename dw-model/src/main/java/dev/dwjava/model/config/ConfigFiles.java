package dev.dwjava.model.config;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.exc.InvalidFormatException;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;

/**
 * YAML experiment configs: {@code base:} inheritance (paths relative to the file, applied recursively, the child
 * overriding key by key), {@code key.sub=value} overrides, and strict binding of sections to immutable records
 * (snake_case keys). Unknown keys and wrong types are errors naming the key and the file.
 */
public final class ConfigFiles {
    static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory())
            .setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
            .disable(DeserializationFeature.ACCEPT_FLOAT_AS_INT);

    private ConfigFiles() {}

    /** A merged config tree and the file it came from (for error messages). */
    public record Tree(Path file, ObjectNode root) {

        /** Binds section {@code name} to {@code type}; a missing section binds an empty one (record defaults). */
        public <T> T section(String name, Class<T> type) {
            JsonNode node = root.has(name) ? root.get(name) : YAML.createObjectNode();
            return bind(node, type, name);
        }

        /** Binds the whole tree (without {@code base}) to {@code type}. */
        public <T> T bind(Class<T> type) {
            ObjectNode copy = root.deepCopy();
            copy.remove("base");
            return bind(copy, type, "");
        }

        private <T> T bind(JsonNode node, Class<T> type, String prefix) {
            try {
                return YAML.treeToValue(node, type);
            } catch (UnrecognizedPropertyException e) {
                throw new IllegalArgumentException(file + ": unknown key '" + path(prefix, e) + "' (known: "
                        + e.getKnownPropertyIds() + ")");
            } catch (InvalidFormatException e) {
                throw new IllegalArgumentException(file + ": key '" + path(prefix, e) + "' must be a "
                        + e.getTargetType().getSimpleName() + ", found '" + e.getValue() + "'");
            } catch (MismatchedInputException e) {
                throw new IllegalArgumentException(file + ": key '" + path(prefix, e) + "' has the wrong type ("
                        + e.getOriginalMessage().split("\n")[0] + ")");
            } catch (JsonProcessingException e) {
                Throwable cause = e.getCause() instanceof IllegalArgumentException ? e.getCause() : e;
                throw new IllegalArgumentException(file + ": " + (prefix.isEmpty() ? "" : prefix + ": ") + cause.getMessage());
            }
        }

        private static String path(String prefix, MismatchedInputException e) {
            StringBuilder sb = new StringBuilder(prefix);
            for (var ref : e.getPath()) {
                if (ref.getFieldName() != null) {
                    sb.append(sb.length() == 0 ? "" : ".").append(ref.getFieldName());
                } else {
                    sb.append('[').append(ref.getIndex()).append(']');
                }
            }
            return sb.toString();
        }
    }

    /**
     * Reads {@code file}, resolves its {@code base} chain and applies {@code overrides} ("a.b=value", the value parsed
     * as YAML so that numbers, booleans and lists keep their types).
     */
    public static Tree load(Path file, List<String> overrides) {
        ObjectNode root = resolve(file, new ArrayList<>());
        for (String o : overrides) {
            apply(root, o, file);
        }
        return new Tree(file, root);
    }

    private static ObjectNode resolve(Path file, List<Path> chain) {
        Path abs = file.toAbsolutePath().normalize();
        if (chain.contains(abs)) {
            throw new IllegalArgumentException("config inheritance cycle: " + chain + " -> " + abs);
        }
        chain.add(abs);
        ObjectNode node = read(abs);
        JsonNode base = node.get("base");
        if (base == null || base.isNull()) {
            return node;
        }
        if (!base.isTextual()) {
            throw new IllegalArgumentException(file + ": key 'base' must be a path, found " + base);
        }
        ObjectNode merged = resolve(abs.getParent().resolve(base.asText()), chain);
        merge(merged, node);
        merged.remove("base");
        return merged;
    }

    private static ObjectNode read(Path file) {
        try {
            JsonNode n = YAML.readTree(Files.readAllBytes(file));
            if (n == null || n.isMissingNode()) {
                return YAML.createObjectNode();
            }
            if (!n.isObject()) {
                throw new IllegalArgumentException(file + ": a config must be a mapping of sections, found " + n.getNodeType());
            }
            return (ObjectNode) n;
        } catch (NoSuchFileException e) {
            throw new IllegalArgumentException("config file not found: " + file);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException(file + ": not valid YAML at line " + e.getLocation().getLineNr() + ": "
                    + e.getOriginalMessage());
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read config " + file + ": " + e.getMessage());
        }
    }

    /** Deep merge: mappings merge key by key, anything else is replaced. */
    static void merge(ObjectNode into, JsonNode from) {
        for (Map.Entry<String, JsonNode> e : from.properties()) {
            JsonNode existing = into.get(e.getKey());
            if (existing instanceof ObjectNode o && e.getValue().isObject()) {
                merge(o, e.getValue());
            } else {
                into.set(e.getKey(), e.getValue().deepCopy());
            }
        }
    }

    private static void apply(ObjectNode root, String override, Path file) {
        int eq = override.indexOf('=');
        if (eq <= 0) {
            throw new IllegalArgumentException("override must look like key.sub=value, found '" + override + "'");
        }
        String[] keys = override.substring(0, eq).trim().split("\\.");
        JsonNode value;
        try {
            value = YAML.readTree(override.substring(eq + 1).isEmpty() ? "null" : override.substring(eq + 1));
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("override '" + override + "': value is not valid YAML");
        }
        ObjectNode node = root;
        for (int k = 0; k < keys.length - 1; k++) {
            JsonNode child = node.get(keys[k]);
            if (child == null || child.isNull()) {
                child = node.putObject(keys[k]);
            } else if (!child.isObject()) {
                throw new IllegalArgumentException("override '" + override + "': " + keys[k] + " in " + file + " is not a section");
            }
            node = (ObjectNode) child;
        }
        node.set(keys[keys.length - 1], value == null || value.isMissingNode() ? YAML.nullNode() : value);
    }

    /** The merged tree as YAML text (for {@code dw print-config} and next to checkpoints). */
    public static String toYaml(Tree tree) {
        try {
            return YAML.writeValueAsString(tree.root());
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
