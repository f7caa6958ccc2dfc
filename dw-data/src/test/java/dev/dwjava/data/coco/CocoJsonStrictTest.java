package dev.dwjava.data.coco;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A malformed element is an error naming the list, index and key, never a silently shortened list or a NaN. */
class CocoJsonStrictTest {
    private static final String IMAGES = "\"images\": [{\"id\": 1, \"width\": 10, \"height\": 10, \"file_name\": \"a.png\"}]";
    private static final String CATS = "\"categories\": [{\"id\": 1, \"name\": \"a\"}]";
    private static final String ANN = "{\"id\": 1, \"image_id\": 1, \"category_id\": 1, \"bbox\": [1, 1, 5, 5], \"area\": 25, \"iscrowd\": 0}";

    private static String instancesError(Path dir, String json) throws IOException {
        Path f = dir.resolve("gt.json");
        Files.writeString(f, json);
        return assertThrows(IOException.class, () -> CocoJson.readInstances(f)).getMessage();
    }

    @Test
    void everyElementOfEveryListMustBeAnObject(@TempDir Path dir) throws IOException {
        String m = instancesError(dir, "{" + IMAGES + ", \"annotations\": [" + ANN + ", 7, " + ANN + "], " + CATS + "}");
        assertEquals(dir.resolve("gt.json") + ": annotations[1] must be an object, found '7'", m);
        m = instancesError(dir, "{\"images\": [null], \"annotations\": [], " + CATS + "}");
        assertTrue(m.endsWith(": images[0] must be an object, found 'null'"), m);
        // The keys after a bad element are not silently dropped either: the categories here would have been lost.
        m = instancesError(dir, "{" + IMAGES + ", \"annotations\": [" + ANN + ", [1]], " + CATS + "}");
        assertTrue(m.endsWith(": annotations[1] must be an object, found a list"), m);
    }

    @Test
    void boxesMustBeFourFiniteNumbers(@TempDir Path dir) throws IOException {
        String bad = ANN.replace("[1, 1, 5, 5]", "[1, null, 5, 5]");
        String m = instancesError(dir, "{" + IMAGES + ", \"annotations\": [" + bad + "], " + CATS + "}");
        assertTrue(m.endsWith(": annotations[0].bbox[1] must be a number, found 'null'"), m);
        bad = ANN.replace("[1, 1, 5, 5]", "[1, \"2\", 5, 5]");
        m = instancesError(dir, "{" + IMAGES + ", \"annotations\": [" + bad + "], " + CATS + "}");
        assertTrue(m.endsWith(": annotations[0].bbox[1] must be a number, found '2'"), m);
        bad = ANN.replace("[1, 1, 5, 5]", "[1, 1e999, 5, 5]");
        m = instancesError(dir, "{" + IMAGES + ", \"annotations\": [" + bad + "], " + CATS + "}");
        assertTrue(m.contains(": annotations[0].bbox has a non-finite value"), m);
        bad = ANN.replace("\"area\": 25", "\"area\": \"x\"");
        m = instancesError(dir, "{" + IMAGES + ", \"annotations\": [" + bad + "], " + CATS + "}");
        assertTrue(m.endsWith(": annotations[0].area must be a number, found x"), m);
    }

    @Test
    void resultsListsAreStrictToo(@TempDir Path dir) throws IOException {
        Path f = dir.resolve("dt.json");
        Files.writeString(f, "[{\"image_id\": 1, \"category_id\": 1, \"bbox\": [1, 1, 2, 2], \"score\": 0.5}, \"x\"]");
        String m = assertThrows(IOException.class, () -> CocoJson.readResults(f)).getMessage();
        assertEquals(f + ": results[1] must be an object, found 'x'", m);
        Files.writeString(f, "[{\"image_id\": 1, \"category_id\": 1, \"bbox\": [1, 1, 2, 2], \"score\": 0.5}]");
        assertEquals(1, CocoJson.readResults(f).size());
    }
}
