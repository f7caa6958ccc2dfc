package dev.dwjava.model.config;

import java.io.IOException;
import java.net.URL;
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
 *
 * <p>A config can also come from a {@link URL} (a classpath resource inside a jar, say), its {@code base:} then being a
 * URL reference relative to it ({@code ../common/model.yaml} works inside a jar too), or from YAML text with an
 * optional location that plays the same part; text without a location cannot have a {@code base:}.
 */
public final class ConfigFiles {
    static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory())
            .setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
            .disable(DeserializationFeature.ACCEPT_FLOAT_AS_INT);

    private ConfigFiles() {}

    /**
     * A merged config tree and where it came from.
     *
     * @param file   the config file, or null when the config came from a URL other than a file or from text
     * @param source the file, URL or "config text" that error messages name
     * @param root   the merged tree
     */
    public record Tree(Path file, String source, ObjectNode root) {

        /** A tree read from {@code file}. */
        public Tree(Path file, ObjectNode root) {
            this(file, String.valueOf(file), root);
        }

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
                throw new IllegalArgumentException(source + ": unknown key '" + path(prefix, e) + "' (known: "
                        + e.getKnownPropertyIds() + ")");
            } catch (InvalidFormatException e) {
                throw new IllegalArgumentException(source + ": key '" + path(prefix, e) + "' must be a "
                        + e.getTargetType().getSimpleName() + ", found '" + e.getValue() + "'");
            } catch (MismatchedInputException e) {
                throw new IllegalArgumentException(source + ": key '" + path(prefix, e) + "' has the wrong type ("
                        + e.getOriginalMessage().split("\n")[0] + ")");
            } catch (JsonProcessingException e) {
                Throwable cause = e.getCause() instanceof IllegalArgumentException ? e.getCause() : e;
                throw new IllegalArgumentException(source + ": " + (prefix.isEmpty() ? "" : prefix + ": ") + cause.getMessage());
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
            apply(root, o, file.toString());
        }
        return new Tree(file, root);
    }

    /**
     * As {@link #load(Path, List)} for a config at {@code url} (e.g. {@code getClass().getResource("/detector.yaml")}):
     * each {@code base:} is resolved as a URL reference relative to the URL of the config that names it.
     */
    public static Tree load(URL url, List<String> overrides) {
        if (url == null) {
            throw new IllegalArgumentException("config URL is null (a classpath resource that was not found?)");
        }
        if ("file".equals(url.getProtocol())) {
            return load(fileOf(url), overrides);
        }
        ObjectNode root = resolve(url, readUrl(url), new ArrayList<>());
        for (String o : overrides) {
            apply(root, o, url.toString());
        }
        return new Tree(null, url.toString(), root);
    }

    /**
     * A config given as YAML text. Its {@code base:}, if any, resolves against {@code location} as
     * {@link #load(URL, List)} does (the URL the text would have, or a folder URL ending in '/'); with no location a
     * {@code base:} is an error, since there is nothing to resolve it against.
     *
     * @param location where the text counts as coming from; may be null
     */
    public static Tree parse(String yaml, URL location, List<String> overrides) {
        String source = location == null ? "config text" : "config text at " + location;
        ObjectNode node = parseTree(yaml.getBytes(java.nio.charset.StandardCharsets.UTF_8), source);
        if (location == null && hasBase(node, source)) {
            throw new IllegalArgumentException(source + ": 'base: " + node.get("base").asText() + "' cannot be resolved"
                    + " without a location; load the config from a file or URL, or give the URL its bases are relative to");
        }
        ObjectNode root = location == null ? node : resolve(location, node, new ArrayList<>());
        for (String o : overrides) {
            apply(root, o, source);
        }
        return new Tree(null, source, root);
    }

    private static ObjectNode resolve(URL url, ObjectNode node, List<String> chain) {
        String key;
        try {
            key = url.toURI().normalize().toString();
        } catch (java.net.URISyntaxException e) {
            key = url.toString();
        }
        if (chain.contains(key)) {
            throw new IllegalArgumentException("config inheritance cycle: " + chain + " -> " + key);
        }
        chain.add(key);
        if (!hasBase(node, url.toString())) {
            return node;
        }
        URL base;
        try {
            base = new URL(url, node.get("base").asText());
        } catch (java.net.MalformedURLException e) {
            throw new IllegalArgumentException(url + ": key 'base' is not a valid relative reference: " + e.getMessage());
        }
        ObjectNode merged = resolve(base, readUrl(base), chain);
        merge(merged, node);
        merged.remove("base");
        return merged;
    }

    private static boolean hasBase(ObjectNode node, String source) {
        JsonNode base = node.get("base");
        if (base == null || base.isNull()) {
            return false;
        }
        if (!base.isTextual()) {
            throw new IllegalArgumentException(source + ": key 'base' must be a path, found " + base);
        }
        return true;
    }

    private static ObjectNode readUrl(URL url) {
        byte[] bytes;
        try (java.io.InputStream in = url.openStream()) {
            bytes = in.readAllBytes();
        } catch (java.io.FileNotFoundException | NoSuchFileException e) {
            throw new IllegalArgumentException("config not found: " + url);
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read config " + url + ": " + e.getMessage());
        }
        return parseTree(bytes, url.toString());
    }

    private static Path fileOf(URL url) {
        try {
            return Path.of(url.toURI());
        } catch (java.net.URISyntaxException | IllegalArgumentException e) {
            throw new IllegalArgumentException("config URL " + url + " is not a valid file URL: " + e.getMessage());
        }
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
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw new IllegalArgumentException("config file not found: " + file);
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read config " + file + ": " + e.getMessage());
        }
        return parseTree(bytes, file.toString());
    }

    private static ObjectNode parseTree(byte[] bytes, String source) {
        try {
            JsonNode n = YAML.readTree(bytes);
            if (n == null || n.isMissingNode()) {
                return YAML.createObjectNode();
            }
            if (!n.isObject()) {
                throw new IllegalArgumentException(source + ": a config must be a mapping of sections, found " + n.getNodeType());
            }
            return (ObjectNode) n;
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException(source + ": not valid YAML at line " + e.getLocation().getLineNr() + ": "
                    + e.getOriginalMessage());
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read config " + source + ": " + e.getMessage());
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

    private static void apply(ObjectNode root, String override, String file) {
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
