package dev.dwjava.data.synthetic;

import java.awt.Color;
import java.awt.Polygon;
import java.awt.Shape;
import java.awt.geom.Area;
import java.awt.geom.Ellipse2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.Writer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Random;

import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageWriteParam;
import javax.imageio.ImageWriter;
import javax.imageio.stream.ImageOutputStream;

/**
 * Generates a COCO-format detection dataset on disk from a seed: JPEG images of filled shapes (circle, rectangle,
 * triangle, ring) in varied colours and sizes, over noisy gradient backgrounds, some images without objects, with
 * overlaps kept moderate. Layout: {@code DIR/train/*.jpg}, {@code DIR/val/*.jpg},
 * {@code DIR/annotations/instances_train.json}, {@code DIR/annotations/instances_val.json}. Boxes are the exact
 * pixel extents of each visible shape ({@code [x, y, w, h]} with x, y the first covered pixel and w, h the covered
 * span), {@code area} its visible pixel count; shapes are painted pixel by pixel (no anti-aliasing) so the extents are exact.
 */
public final class SyntheticCoco {
    /** Category names in id order (ids 1..4). */
    public static final List<String> CLASSES = List.of("circle", "rectangle", "triangle", "ring");

    /**
     * @param out   target folder
     * @param train training images
     * @param val   validation images
     * @param size  image side (images are size × size·(3/4 or 4/3 or 1))
     * @param seed  drives everything
     */
    public static void generate(Path out, int train, int val, int size, long seed) throws IOException {
        if (train <= 0 || val <= 0 || size < 32) {
            throw new IllegalArgumentException("need train > 0, val > 0 and size ≥ 32, found " + train + ", " + val + ", " + size);
        }
        Files.createDirectories(out.resolve("annotations"));
        split(out, "train", train, size, new Random(seed));
        split(out, "val", val, size, new Random(seed ^ 0x5DEECE66DL));
    }

    /** One drawn object: its label (0..3), exact box and pixel count. */
    record Obj(int label, int x, int y, int w, int h, int area, int rgb) {}

    private static void split(Path out, String name, int count, int size, Random r) throws IOException {
        Path dir = out.resolve(name);
        Files.createDirectories(dir);
        Path json = out.resolve("annotations/instances_" + name + ".json");
        Path tmp = Files.createTempFile(json.getParent(), json.getFileName().toString(), ".tmp");
        long annId = 1;
        try (Writer w = Files.newBufferedWriter(tmp)) {
            StringBuilder images = new StringBuilder(), anns = new StringBuilder();
            for (int i = 0; i < count; i++) {
                int width = size, height = size;
                int aspect = r.nextInt(3);
                if (aspect == 1) {
                    height = size * 3 / 4;
                } else if (aspect == 2) {
                    width = size * 3 / 4;
                }
                BufferedImage img = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
                List<Obj> objs = draw(img, r);
                String file = String.format(Locale.ROOT, "%06d.jpg", i);
                writeJpeg(img, dir.resolve(file));
                images.append(images.length() == 0 ? "" : ",").append(String.format(Locale.ROOT,
                        "{\"id\": %d, \"file_name\": \"%s\", \"width\": %d, \"height\": %d}", i + 1, file, width, height));
                for (Obj o : objs) {
                    anns.append(anns.length() == 0 ? "" : ",").append(String.format(Locale.ROOT,
                            "{\"id\": %d, \"image_id\": %d, \"category_id\": %d, \"bbox\": [%d, %d, %d, %d], \"area\": %d, \"iscrowd\": 0}",
                            annId++, i + 1, o.label() + 1, o.x(), o.y(), o.w(), o.h(), o.area()));
                }
            }
            StringBuilder cats = new StringBuilder();
            for (int k = 0; k < CLASSES.size(); k++) {
                cats.append(k == 0 ? "" : ",").append("{\"id\": ").append(k + 1).append(", \"name\": \"").append(CLASSES.get(k)).append("\"}");
            }
            w.write("{\"info\": {\"description\": \"dw-java synthetic shapes\"}, \"images\": [" + images + "], \"annotations\": ["
                    + anns + "], \"categories\": [" + cats + "]}");
        }
        Files.move(tmp, json, java.nio.file.StandardCopyOption.REPLACE_EXISTING, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    }

    /** Draws background and 0–4 shapes; returns the objects with exact extents (measured on the visible pixels). */
    static List<Obj> draw(BufferedImage img, Random r) {
        int w = img.getWidth(), h = img.getHeight();
        Color c0 = randomColor(r), c1 = randomColor(r);
        int[] bg = new int[w * h];
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                double t = (double) (x + y) / (w + h);
                int noise = (int) (r.nextGaussian() * 12);
                int rr = clamp((int) (c0.getRed() * (1 - t) + c1.getRed() * t) + noise);
                int gg = clamp((int) (c0.getGreen() * (1 - t) + c1.getGreen() * t) + noise);
                int bb = clamp((int) (c0.getBlue() * (1 - t) + c1.getBlue() * t) + noise);
                bg[y * w + x] = (rr << 16) | (gg << 8) | bb;
            }
        }
        img.setRGB(0, 0, w, h, bg, 0, w);
        int n = r.nextInt(10) == 0 ? 0 : 1 + r.nextInt(4);
        List<Obj> objs = new ArrayList<>();
        List<Area> placed = new ArrayList<>();
        int[] owner = new int[w * h];
        java.util.Arrays.fill(owner, -1);
        List<Integer> colors = new ArrayList<>();
        for (int k = 0, tries = 0; k < n && tries < 40; tries++) {
            int label = r.nextInt(4);
            int s = (int) (Math.min(w, h) * (0.12 + 0.45 * r.nextDouble()));
            int x = r.nextInt(Math.max(1, w - s)), y = r.nextInt(Math.max(1, h - s));
            Shape shape = shape(label, x, y, s, r);
            Area area = new Area(shape);
            if (overlapsTooMuch(area, placed)) {
                continue;
            }
            placed.add(area);
            int rgb = contrasting(r, c0, c1).getRGB() & 0xffffff;
            // Paint exactly the pixels whose centre lies in the shape, so that the boxes are exact by construction
            // (later shapes cover earlier ones).
            for (int yy = 0; yy < h; yy++) {
                for (int xx = 0; xx < w; xx++) {
                    if (shape.contains(xx + 0.5, yy + 0.5)) {
                        owner[yy * w + xx] = k;
                        img.setRGB(xx, yy, rgb);
                    }
                }
            }
            colors.add(rgb);
            objs.add(new Obj(label, 0, 0, 0, 0, 0, rgb));
            k++;
        }
        List<Obj> out = new ArrayList<>();
        for (int k = 0; k < objs.size(); k++) {
            int minX = w, minY = h, maxX = -1, maxY = -1, count = 0;
            for (int yy = 0; yy < h; yy++) {
                for (int xx = 0; xx < w; xx++) {
                    if (owner[yy * w + xx] == k) {
                        minX = Math.min(minX, xx);
                        maxX = Math.max(maxX, xx);
                        minY = Math.min(minY, yy);
                        maxY = Math.max(maxY, yy);
                        count++;
                    }
                }
            }
            if (count >= 16) {
                out.add(new Obj(objs.get(k).label(), minX, minY, maxX - minX + 1, maxY - minY + 1, count, colors.get(k)));
            }
        }
        return out;
    }

    /** Pixel centres (x + 0.5, y + 0.5) inside the shape are drawn; without anti-aliasing Java2D fills exactly those. */
    private static Shape shape(int label, int x, int y, int s, Random r) {
        switch (label) {
            case 0:
                return new Ellipse2D.Double(x, y, s, s);
            case 1: {
                int sw = (int) (s * (0.6 + 0.4 * r.nextDouble())), sh = (int) (s * (0.6 + 0.4 * r.nextDouble()));
                return new java.awt.Rectangle(x, y, sw, sh);
            }
            case 2:
                return new Polygon(new int[] {x, x + s, x + s / 2}, new int[] {y + s, y + s, y}, 3);
            default: {
                Area ring = new Area(new Ellipse2D.Double(x, y, s, s));
                double t = s * 0.22;
                ring.subtract(new Area(new Ellipse2D.Double(x + t, y + t, s - 2 * t, s - 2 * t)));
                return ring;
            }
        }
    }

    private static boolean overlapsTooMuch(Area a, List<Area> placed) {
        java.awt.Rectangle b = a.getBounds();
        for (Area p : placed) {
            java.awt.Rectangle q = p.getBounds();
            java.awt.Rectangle inter = b.intersection(q);
            if (!inter.isEmpty() && (double) inter.width * inter.height > 0.3 * Math.min(b.width * b.height, q.width * q.height)) {
                return true;
            }
        }
        return false;
    }

    private static Color randomColor(Random r) {
        return new Color(40 + r.nextInt(120), 40 + r.nextInt(120), 40 + r.nextInt(120));
    }

    private static Color contrasting(Random r, Color c0, Color c1) {
        while (true) {
            Color c = Color.getHSBColor(r.nextFloat(), 0.5f + 0.5f * r.nextFloat(), 0.6f + 0.4f * r.nextFloat());
            int d = Math.abs(c.getRed() - (c0.getRed() + c1.getRed()) / 2) + Math.abs(c.getGreen() - (c0.getGreen() + c1.getGreen()) / 2)
                    + Math.abs(c.getBlue() - (c0.getBlue() + c1.getBlue()) / 2);
            if (d > 150) {
                return c;
            }
        }
    }

    private static int clamp(int v) {
        return Math.max(0, Math.min(255, v));
    }

    private static void writeJpeg(BufferedImage img, Path file) throws IOException {
        Iterator<ImageWriter> writers = ImageIO.getImageWritersByFormatName("jpeg");
        ImageWriter writer = writers.next();
        ImageWriteParam p = writer.getDefaultWriteParam();
        p.setCompressionMode(ImageWriteParam.MODE_EXPLICIT);
        p.setCompressionQuality(0.92f);
        try (ImageOutputStream os = ImageIO.createImageOutputStream(file.toFile())) {
            writer.setOutput(os);
            writer.write(null, new IIOImage(img, null, null), p);
        } finally {
            writer.dispose();
        }
    }

    private SyntheticCoco() {}
}
