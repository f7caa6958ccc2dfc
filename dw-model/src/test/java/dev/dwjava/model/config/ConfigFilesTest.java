package dev.dwjava.model.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import dev.dwjava.model.Fixtures;
import dev.dwjava.model.ModelConfig;
import dev.dwjava.model.postprocess.TestConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Inheritance, overrides and strict binding, with errors that name the key and the file. */
class ConfigFilesTest {
    private static Path config(String name) {
        return Fixtures.path("../configs/" + name);
    }

    @Test
    void childOverridesBaseKeyByKey() {
        ConfigFiles.Tree t = ConfigFiles.load(config("tiny.yaml"), List.of());
        assertEquals(new TestConfig(1000, 0.3, 0.6, 100), t.section("test", TestConfig.class));
        assertEquals(new ModelConfig(50, 4, 1, 16, 16, 2, 4, 3, true, false), t.section("model", ModelConfig.class));
    }

    @Test
    void overridesKeepYamlTypes() {
        ConfigFiles.Tree t = ConfigFiles.load(config("tiny.yaml"), List.of("model.box_refine=false", "test.max_per_image=7",
                "classes=[a, b, c]"));
        assertEquals(false, t.section("model", ModelConfig.class).boxRefine());
        assertEquals(7, t.section("test", TestConfig.class).maxPerImage());
        assertEquals("[a, b, c]", List.of(t.section("classes", String[].class)).toString());
        assertTrue(ConfigFiles.toYaml(t).contains("max_per_image: 7"), ConfigFiles.toYaml(t));
    }

    @Test
    void unknownKeyAndWrongTypeNameTheKeyAndFile() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ConfigFiles.load(config("bad_key.yaml"), List.of()).section("model", ModelConfig.class));
        assertTrue(e.getMessage().contains("bad_key.yaml: unknown key 'model.dept'"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> ConfigFiles.load(config("bad_type.yaml"), List.of()).section("model", ModelConfig.class));
        assertTrue(e.getMessage().contains("bad_type.yaml: key 'model.box_refine'"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> ConfigFiles.load(config("tiny.yaml"), List.of("model.gn_groups=3")).section("model", ModelConfig.class));
        assertTrue(e.getMessage().contains("headChannels (16) must be divisible by gnGroups (3)"), e.getMessage());
    }

    @Test
    void missingFilesCyclesAndBadOverridesAreReported(@TempDir Path tmp) throws Exception {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ConfigFiles.load(tmp.resolve("nope.yaml"), List.of()));
        assertTrue(e.getMessage().startsWith("config file not found: "), e.getMessage());
        Files.writeString(tmp.resolve("a.yaml"), "base: b.yaml\n");
        Files.writeString(tmp.resolve("b.yaml"), "base: a.yaml\n");
        e = assertThrows(IllegalArgumentException.class, () -> ConfigFiles.load(tmp.resolve("a.yaml"), List.of()));
        assertTrue(e.getMessage().startsWith("config inheritance cycle"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> ConfigFiles.load(config("tiny.yaml"), List.of("model.depth")));
        assertEquals("override must look like key.sub=value, found 'model.depth'", e.getMessage());
        Files.writeString(tmp.resolve("broken.yaml"), "model: [1, 2\n");
        e = assertThrows(IllegalArgumentException.class, () -> ConfigFiles.load(tmp.resolve("broken.yaml"), List.of()));
        assertTrue(e.getMessage().contains("broken.yaml: not valid YAML at line"), e.getMessage());
    }

    @Test
    void urlsAndTextResolveBasesRelativeToTheirLocation(@TempDir Path tmp) throws Exception {
        // A file: URL is the file itself.
        java.net.URL url = config("tiny.yaml").toUri().toURL();
        ConfigFiles.Tree fromUrl = ConfigFiles.load(url, List.of("test.max_per_image=7"));
        assertEquals(config("tiny.yaml"), fromUrl.file());
        assertEquals(new TestConfig(1000, 0.3, 0.6, 7), fromUrl.section("test", TestConfig.class));
        // Text located at a folder URL: its base resolves there; errors name the text and its location.
        ConfigFiles.Tree text = ConfigFiles.parse("base: tiny.yaml\nmodel: {depth: 101}\n", config("").toUri().toURL(), List.of());
        assertEquals(null, text.file());
        assertEquals(101, text.section("model", ModelConfig.class).depth());
        assertEquals(0.3, text.section("test", TestConfig.class).scoreThr());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ConfigFiles.parse("test: {nms_pre: 10, score_thr: 0.1, iou_threshold: 0.5, max_per_image: 5, scor: 1}\n",
                        null, List.of()).section("test", TestConfig.class));
        assertTrue(e.getMessage().startsWith("config text: unknown key 'test.scor'"), e.getMessage());
        // Cycles through URLs are reported as for files.
        Files.writeString(tmp.resolve("a.yaml"), "base: b.yaml\n");
        Files.writeString(tmp.resolve("b.yaml"), "base: a.yaml\n");
        e = assertThrows(IllegalArgumentException.class,
                () -> ConfigFiles.parse("base: a.yaml\n", tmp.resolve("a.yaml").toUri().toURL(), List.of()));
        assertTrue(e.getMessage().startsWith("config inheritance cycle"), e.getMessage());
    }
}
