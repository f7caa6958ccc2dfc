package dev.dwjava.train.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import dev.dwjava.data.synthetic.SyntheticCoco;
import dev.dwjava.model.Fixtures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * Malformed files of every kind a user hands to {@code dw}: each run ends with exit 2 and one line that names the file
 * (no stack trace), and nothing outside the work dir is written.
 */
class BadInputSweepTest {

    private record Outcome(int code, String err) {}

    private static Outcome run(List<String> args) {
        StringWriter out = new StringWriter(), err = new StringWriter();
        CommandLine cl = DwCli.commandLine();
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        return new Outcome(cl.execute(args.toArray(new String[0])), err.toString());
    }

    @Test
    void everyMalformedInputIsOneLineNamingIt(@TempDir Path tmp) throws Exception {
        Path data = tmp.resolve("data");
        SyntheticCoco.generate(data, 4, 3, 64, 2);
        Path tinyCfg = Path.of(getClass().getClassLoader().getResource("configs/tiny_full.yaml").toURI());
        String weights = Fixtures.path("tiny_dw_r50_mmdet.pth").toString();
        String ann = data.resolve("annotations/instances_val.json").toString();

        // Annotation files.
        Path annDir = Files.createDirectories(tmp.resolve("ann"));
        String good = Files.readString(Path.of(ann));
        List<Path> badAnns = new ArrayList<>();
        String[][] annEdits = {
            {"truncated", good.substring(0, good.length() / 2)},
            {"not_json", "hello"},
            {"list_top", "[1, 2]"},
            {"no_categories", "{\"images\": [], \"annotations\": []}"},
            {"stray_element", good.replace("\"annotations\": [", "\"annotations\": [3, ")},
            {"string_bbox", good.replaceFirst("\"bbox\": \\[[0-9.]+", "\"bbox\": [\"a\"")},
            {"unknown_image", good.replaceFirst("\"image_id\": [0-9]+", "\"image_id\": 999999")},
            {"empty", ""},
        };
        for (String[] e : annEdits) {
            Path f = annDir.resolve(e[0] + ".json");
            Files.writeString(f, e[1]);
            badAnns.add(f);
        }
        // Images: a text file and a truncated PNG under a valid annotation file.
        Path imgs = Files.createDirectories(tmp.resolve("imgs"));
        for (String name : new String[] {"0.png", "1.png", "2.png"}) {
            Files.copy(data.resolve("val").resolve(firstFile(data.resolve("val"))), imgs.resolve(name));
        }
        Files.writeString(imgs.resolve("text.png"), "not an image");
        // Configs.
        Path cfgDir = Files.createDirectories(tmp.resolve("cfg"));
        Files.writeString(cfgDir.resolve("syntax.yaml"), "model: {depth: 50\n");
        Files.writeString(cfgDir.resolve("unknown.yaml"), "base: " + tinyCfg + "\nmodel: {dept: 50}\n");
        Files.writeString(cfgDir.resolve("type.yaml"), "base: " + tinyCfg + "\nsolver: {lr: fast}\n");
        Files.writeString(cfgDir.resolve("cycle.yaml"), "base: cycle.yaml\n");
        // Results files.
        Path res = Files.createDirectories(tmp.resolve("res"));
        Files.writeString(res.resolve("nan.json"), "[{\"image_id\": 1, \"category_id\": 1, \"bbox\": [1, 1, NaN, 2], \"score\": 0.5}]");
        Files.writeString(res.resolve("obj.json"), "{\"image_id\": 1}");
        Files.writeString(res.resolve("neg.json"), "[{\"image_id\": 1, \"category_id\": 1, \"bbox\": [1, 1, -2, 2], \"score\": 0.5}]");
        Files.writeString(res.resolve("ok.json"), "[]");

        List<List<String>> cases = new ArrayList<>();
        List<String> names = new ArrayList<>();
        for (Path f : badAnns) {
            cases.add(List.of("test", "--config", tinyCfg.toString(), "--weights", weights, "--out", tmp.resolve("w/r.json").toString(),
                    "--cfg-options", "data.val.annotations=" + f, "data.val.images=" + data.resolve("val")));
            names.add(f.toString());
            cases.add(List.of("browse", "--config", tinyCfg.toString(), "--out", tmp.resolve("w/b").toString(), "--cfg-options",
                    "data.val.annotations=" + f, "data.val.images=" + data.resolve("val")));
            names.add(f.toString());
            if (!f.getFileName().toString().equals("unknown_image.json")) {
                // (pycocotools evaluates such a file, ignoring the stray annotation; the evaluator keeps its numbers.)
                cases.add(List.of("coco-eval", "--ann", f.toString(), "--results", res.resolve("ok.json").toString()));
                names.add(f.toString());
            }
        }
        for (String r : new String[] {"nan.json", "obj.json", "neg.json"}) {
            cases.add(List.of("coco-eval", "--ann", ann, "--results", res.resolve(r).toString()));
            names.add(res.resolve(r).toString());
        }
        for (String c : new String[] {"syntax.yaml", "unknown.yaml", "type.yaml", "cycle.yaml"}) {
            cases.add(List.of("print-config", cfgDir.resolve(c).toString()));
            names.add(c);
            cases.add(List.of("train", "--config", cfgDir.resolve(c).toString(), "--work-dir", tmp.resolve("w/t").toString()));
            names.add(c);
        }
        cases.add(List.of("detect", "--config", tinyCfg.toString(), "--weights", weights, "--image", imgs.resolve("text.png").toString(),
                "--out", tmp.resolve("w/o.png").toString()));
        names.add(imgs.resolve("text.png").toString());
        cases.add(List.of("detect", "--config", tinyCfg.toString(), "--weights", tinyCfg.toString(), "--image",
                imgs.resolve("0.png").toString(), "--out", tmp.resolve("w/o.png").toString()));
        names.add(tinyCfg.toString());

        List<String> failures = new ArrayList<>();
        for (int i = 0; i < cases.size(); i++) {
            Outcome o = run(cases.get(i));
            String where = String.join(" ", cases.get(i));
            if (o.code() != 2 || o.err().contains("\tat ") || !o.err().contains(names.get(i))
                    || o.err().strip().lines().count() != 1) {
                failures.add("exit " + o.code() + " for: " + where + "\n" + o.err());
            }
        }
        assertTrue(failures.isEmpty(), failures.size() + " of " + cases.size() + " cases:\n" + String.join("\n", failures));
        assertFalse(Files.exists(tmp.resolve("w/t/config.yaml")));
        assertEquals(good, Files.readString(Path.of(ann)));
    }

    private static String firstFile(Path dir) throws Exception {
        try (var s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().findFirst().orElseThrow();
        }
    }
}
