package dev.dwjava.data.coco;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParseException;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;

/**
 * Streaming readers of COCO instance files and result files (only the fields bbox evaluation uses). Errors name the
 * file, the record index and the key.
 */
public final class CocoJson {
    private static final JsonFactory FACTORY = new JsonFactory();

    private CocoJson() {}

    /** An image of the ground truth. */
    public record Image(long id, int width, int height, String fileName) {}

    /** A category with its (possibly sparse) COCO id. */
    public record Category(long id, String name) {}

    /** A ground-truth annotation: bbox is (x, y, w, h); {@code area} is the file's area field. */
    public record Annotation(long id, long imageId, long categoryId, double x, double y, double w, double h, double area,
                             boolean crowd, boolean ignore) {}

    /** A detection of a results file. */
    public record Result(long imageId, long categoryId, double x, double y, double w, double h, double score) {}

    /** A whole instances file. */
    public record Instances(List<Image> images, List<Annotation> annotations, List<Category> categories) {}

    /** Reads an instances file (images, annotations, categories; other keys are skipped). */
    public static Instances readInstances(Path file) throws IOException {
        List<Image> images = new ArrayList<>();
        List<Annotation> anns = new ArrayList<>();
        List<Category> cats = new ArrayList<>();
        try (JsonParser p = open(file)) {
            expect(p, p.nextToken(), JsonToken.START_OBJECT, file, "the top level");
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String key = p.currentName();
                p.nextToken();
                switch (key) {
                    case "images" -> readArray(p, file, "images", () -> images.add(image(p, file, images.size())));
                    case "annotations" -> readArray(p, file, "annotations", () -> anns.add(annotation(p, file, anns.size())));
                    case "categories" -> readArray(p, file, "categories", () -> cats.add(category(p, file, cats.size())));
                    default -> p.skipChildren();
                }
            }
        } catch (JsonParseException e) {
            throw syntax(file, e);
        }
        if (cats.isEmpty()) {
            throw new IOException(file + ": no 'categories'");
        }
        return new Instances(images, anns, cats);
    }

    /** Reads a results file: a list of {image_id, category_id, bbox [x, y, w, h], score}. */
    public static List<Result> readResults(Path file) throws IOException {
        List<Result> out = new ArrayList<>();
        try (JsonParser p = open(file)) {
            JsonToken t = p.nextToken();
            if (t == null) {
                throw new IOException(file + " is empty; a results file is a JSON list (possibly empty: [])");
            }
            expect(p, t, JsonToken.START_ARRAY, file, "a results file (a list of detections)");
            readArray(p, file, "results", () -> out.add(result(p, file, out.size())));
        } catch (JsonParseException e) {
            throw syntax(file, e);
        }
        return out;
    }

    private interface Body {
        void read() throws IOException;
    }

    /** Reads every element of a list; each must be an object (a stray value is an error, never the list's end). */
    private static void readArray(JsonParser p, Path file, String what, Body body) throws IOException {
        expect(p, p.currentToken(), JsonToken.START_ARRAY, file, "'" + what + "'");
        for (int index = 0; p.nextToken() != JsonToken.END_ARRAY; index++) {
            if (p.currentToken() != JsonToken.START_OBJECT) {
                throw new IOException(file + ": " + what + "[" + index + "] must be an object, found "
                        + (p.currentToken().isStructStart() ? "a list" : "'" + p.getText() + "'"));
            }
            body.read();
        }
    }

    private static Image image(JsonParser p, Path file, int index) throws IOException {
        long id = Long.MIN_VALUE;
        int w = 0, h = 0;
        String name = null;
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String k = p.currentName();
            p.nextToken();
            switch (k) {
                case "id" -> id = number(p, file, "images", index, k).longValue();
                case "width" -> w = number(p, file, "images", index, k).intValue();
                case "height" -> h = number(p, file, "images", index, k).intValue();
                case "file_name" -> name = p.getValueAsString();
                default -> p.skipChildren();
            }
        }
        if (id == Long.MIN_VALUE) {
            throw missing(file, "images", index, "id");
        }
        if (w < 0 || h < 0) {
            throw new IOException(file + ": images[" + index + "] (id " + id + ") has a negative size " + w + " x " + h);
        }
        return new Image(id, w, h, name);
    }

    private static Category category(JsonParser p, Path file, int index) throws IOException {
        long id = Long.MIN_VALUE;
        String name = null;
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String k = p.currentName();
            p.nextToken();
            switch (k) {
                case "id" -> id = number(p, file, "categories", index, k).longValue();
                case "name" -> name = p.getValueAsString();
                default -> p.skipChildren();
            }
        }
        if (id == Long.MIN_VALUE) {
            throw missing(file, "categories", index, "id");
        }
        return new Category(id, name == null ? Long.toString(id) : name);
    }

    private static Annotation annotation(JsonParser p, Path file, int index) throws IOException {
        long id = Long.MIN_VALUE, img = Long.MIN_VALUE, cat = Long.MIN_VALUE;
        double[] box = null;
        double area = Double.NaN;
        boolean crowd = false, ignore = false;
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String k = p.currentName();
            p.nextToken();
            switch (k) {
                case "id" -> id = number(p, file, "annotations", index, k).longValue();
                case "image_id" -> img = number(p, file, "annotations", index, k).longValue();
                case "category_id" -> cat = number(p, file, "annotations", index, k).longValue();
                case "bbox" -> box = bbox(p, file, "annotations", index);
                case "area" -> area = number(p, file, "annotations", index, k).doubleValue();
                case "iscrowd" -> crowd = number(p, file, "annotations", index, k).intValue() != 0;
                case "ignore" -> ignore = number(p, file, "annotations", index, k).intValue() != 0;
                default -> p.skipChildren();
            }
        }
        for (Object[] f : new Object[][] {{"id", id}, {"image_id", img}, {"category_id", cat}}) {
            if ((long) f[1] == Long.MIN_VALUE) {
                throw missing(file, "annotations", index, (String) f[0]);
            }
        }
        if (box == null) {
            throw missing(file, "annotations", index, "bbox");
        }
        if (Double.isNaN(area)) {
            throw missing(file, "annotations", index, "area");
        }
        if (!Double.isFinite(area)) {
            // (Boxes under 1 px, negative ones included, are valid records: training drops them as mmdetection does.)
            throw new IOException(file + ": annotations[" + index + "] (id " + id + ") has a non-finite area " + area);
        }
        return new Annotation(id, img, cat, box[0], box[1], box[2], box[3], area, crowd, ignore);
    }

    private static Result result(JsonParser p, Path file, int index) throws IOException {
        long img = Long.MIN_VALUE, cat = Long.MIN_VALUE;
        double[] box = null;
        double score = Double.NaN;
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String k = p.currentName();
            p.nextToken();
            switch (k) {
                case "image_id" -> img = number(p, file, "results", index, k).longValue();
                case "category_id" -> cat = number(p, file, "results", index, k).longValue();
                case "bbox" -> box = bbox(p, file, "results", index);
                case "score" -> score = number(p, file, "results", index, k).doubleValue();
                default -> p.skipChildren();
            }
        }
        if (img == Long.MIN_VALUE) {
            throw missing(file, "results", index, "image_id");
        }
        if (cat == Long.MIN_VALUE) {
            throw missing(file, "results", index, "category_id");
        }
        if (box == null) {
            throw missing(file, "results", index, "bbox");
        }
        if (!Double.isFinite(score)) {
            throw new IOException(file + ": results[" + index + "] has " + (Double.isNaN(score) ? "no finite 'score'" : "score " + score));
        }
        for (double v : box) {
            if (!Double.isFinite(v)) {
                throw new IOException(file + ": results[" + index + "].bbox has a non-finite value " + java.util.Arrays.toString(box));
            }
        }
        if (box[2] < 0 || box[3] < 0) {
            throw new IOException(file + ": results[" + index + "].bbox has a negative width or height "
                    + java.util.Arrays.toString(box) + " (bbox is [x, y, w, h])");
        }
        return new Result(img, cat, box[0], box[1], box[2], box[3], score);
    }

    private static double[] bbox(JsonParser p, Path file, String what, int index) throws IOException {
        if (p.currentToken() != JsonToken.START_ARRAY) {
            throw new IOException(file + ": " + what + "[" + index + "].bbox must be a list [x, y, w, h]");
        }
        double[] b = new double[4];
        int n = 0;
        while (p.nextToken() != JsonToken.END_ARRAY) {
            if (!p.currentToken().isNumeric()) {
                throw new IOException(file + ": " + what + "[" + index + "].bbox[" + n + "] must be a number, found "
                        + (p.currentToken().isStructStart() ? "a container" : "'" + p.getText() + "'"));
            }
            if (n < 4) {
                b[n] = p.getDoubleValue();
            }
            n++;
        }
        if (n != 4) {
            throw new IOException(file + ": " + what + "[" + index + "].bbox must have 4 numbers, found " + n);
        }
        for (double v : b) {
            if (!Double.isFinite(v)) {
                throw new IOException(file + ": " + what + "[" + index + "].bbox has a non-finite value " + java.util.Arrays.toString(b));
            }
        }
        return b;
    }

    private static Number number(JsonParser p, Path file, String what, int index, String key) throws IOException {
        if (!p.currentToken().isNumeric()) {
            throw new IOException(file + ": " + what + "[" + index + "]." + key + " must be a number, found " + p.getText());
        }
        return p.getNumberValue();
    }

    private static IOException missing(Path file, String what, int index, String key) {
        return new IOException(file + ": " + what + "[" + index + "] has no '" + key + "'");
    }

    private static void expect(JsonParser p, JsonToken got, JsonToken want, Path file, String what) throws IOException {
        if (got != want) {
            JsonLocation l = p.currentLocation();
            throw new IOException(file + ": expected " + what + " to be " + (want == JsonToken.START_ARRAY ? "a list" : "an object")
                    + " at line " + l.getLineNr() + ", column " + l.getColumnNr());
        }
    }

    private static IOException syntax(Path file, JsonParseException e) {
        JsonLocation l = e.getLocation();
        return new IOException(file + " is not valid JSON at line " + l.getLineNr() + ", column " + l.getColumnNr()
                + " (byte " + l.getByteOffset() + "): " + e.getOriginalMessage());
    }

    private static JsonParser open(Path file) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new NoSuchFileException(file.toString(), null, "file not found");
        }
        return FACTORY.createParser(file.toFile());
    }
}
