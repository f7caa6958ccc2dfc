package dev.dwjava.serve;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.dwjava.core.image.ImageDecoder;
import dev.dwjava.core.image.RgbImage;
import dev.dwjava.model.inference.Detection;
import org.junit.jupiter.api.Test;

/** The endpoints over real HTTP on an ephemeral loopback port, with fake models. */
class ModelServerTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

    private static ServeOptions options() {
        return ServeOptions.DEFAULT.withPort(0);
    }

    private HttpResponse<String> post(ModelServer s, String pathAndQuery, byte[] body, String contentType) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(s.uri().resolve(pathAndQuery)).timeout(Duration.ofSeconds(30))
                .POST(HttpRequest.BodyPublishers.ofByteArray(body));
        if (contentType != null) {
            b.header("Content-Type", contentType);
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private HttpResponse<String> get(ModelServer s, String path) throws Exception {
        return http.send(HttpRequest.newBuilder(s.uri().resolve(path)).timeout(Duration.ofSeconds(30)).GET().build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private static String error(HttpResponse<String> r) throws Exception {
        return JSON.readTree(r.body()).get("error").asText();
    }

    /** A multipart/form-data body with an image part and optionally a score_thr field. */
    static byte[] multipart(String boundary, byte[] image, String thr) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        if (thr != null) {
            out.write(("--" + boundary + "\r\nContent-Disposition: form-data; name=\"score_thr\"\r\n\r\n" + thr + "\r\n")
                    .getBytes(StandardCharsets.UTF_8));
        }
        out.write(("--" + boundary + "\r\nContent-Disposition: form-data; name=\"image\"; filename=\"a.png\"\r\n"
                + "Content-Type: image/png\r\n\r\n").getBytes(StandardCharsets.UTF_8));
        out.write(image);
        out.write(("\r\n--" + boundary + "--\r\n").getBytes(StandardCharsets.UTF_8));
        return out.toByteArray();
    }

    @Test
    void detectAnswersNamedClassesScoresAndBoxesInOriginalPixels() throws Exception {
        FakeDetectors.Deterministic model = new FakeDetectors.Deterministic();
        try (ModelServer s = ModelServer.start(model, options())) {
            byte[] png = FakeDetectors.png(77, 45, 30);
            RgbImage decoded = ImageDecoder.decode(png, "test");
            List<Detection> expected = FakeDetectors.Deterministic.single(decoded);

            HttpResponse<String> r = post(s, "v1/detect", png, "image/png");
            assertEquals(200, r.statusCode(), r.body());
            assertEquals("application/json", r.headers().firstValue("Content-Type").orElse(""));
            JsonNode j = JSON.readTree(r.body());
            assertEquals(77, j.get("width").asInt());
            assertEquals(45, j.get("height").asInt());
            JsonNode dets = j.get("detections");
            assertEquals(expected.size(), dets.size());   // the default score_thr (0) keeps all
            for (int i = 0; i < expected.size(); i++) {
                Detection e = expected.get(i);
                JsonNode d = dets.get(i);
                assertEquals(e.className(), d.get("class_name").asText());
                assertEquals(e.classId(), d.get("class_id").asInt());
                assertEquals(e.score(), d.get("score").floatValue(), 0f);
                assertArrayEquals(new float[] {e.x1(), e.y1(), e.x2(), e.y2()}, new float[] {d.get("box").get(0).floatValue(),
                        d.get("box").get(1).floatValue(), d.get("box").get(2).floatValue(), d.get("box").get(3).floatValue()});
            }
            assertEquals(76f, dets.get(0).get("box").get(2).floatValue());   // x2 = width - 1: original pixels, not resized

            // score_thr from the query, and from a multipart form (as the page sends it).
            JsonNode q = JSON.readTree(post(s, "v1/detect?score_thr=0.45", png, "image/png").body());
            assertEquals(3, q.get("detections").size());   // 0.9, 0.7, 0.5 > 0.45
            HttpResponse<String> m = post(s, "v1/detect", multipart("XyZ123", png, "0.6"), "multipart/form-data; boundary=XyZ123");
            assertEquals(200, m.statusCode(), m.body());
            assertEquals(2, JSON.readTree(m.body()).get("detections").size());
            assertEquals(77, JSON.readTree(m.body()).get("width").asInt());
        }
    }

    @Test
    void badBodiesGet400WithTheReason() throws Exception {
        try (ModelServer s = ModelServer.start(new FakeDetectors.Deterministic(), options())) {
            HttpResponse<String> garbage = post(s, "v1/detect", "hello, not an image".getBytes(StandardCharsets.UTF_8), "text/plain");
            assertEquals(400, garbage.statusCode());
            assertTrue(error(garbage).contains("is not an image we can read"), garbage.body());

            HttpResponse<String> empty = post(s, "v1/detect", new byte[0], "image/png");
            assertEquals(400, empty.statusCode());
            assertTrue(error(empty).contains("empty body"), empty.body());

            byte[] png = FakeDetectors.png(64, 48, 1);
            HttpResponse<String> cut = post(s, "v1/detect", java.util.Arrays.copyOf(png, 60), "image/png");
            assertEquals(400, cut.statusCode(), cut.body());
            assertTrue(error(cut).contains("PNG"), cut.body());

            HttpResponse<String> thr = post(s, "v1/detect?score_thr=2", png, "image/png");
            assertEquals(400, thr.statusCode());
            assertTrue(error(thr).contains("score_thr must be a number in [0, 1]"), thr.body());
            assertEquals(400, post(s, "v1/detect?score_thr=abc", png, "image/png").statusCode());

            String noImage = "--b1\r\nContent-Disposition: form-data; name=\"other\"\r\n\r\nx\r\n--b1--\r\n";
            HttpResponse<String> form = post(s, "v1/detect", noImage.getBytes(StandardCharsets.UTF_8), "multipart/form-data; boundary=b1");
            assertEquals(400, form.statusCode());
            assertTrue(error(form).contains("part named \"image\""), form.body());

            HttpResponse<String> broken = post(s, "v1/detect", "--b1\r\nno headers end".getBytes(StandardCharsets.UTF_8),
                    "multipart/form-data; boundary=b1");
            assertEquals(400, broken.statusCode(), broken.body());

            assertEquals(405, get(s, "v1/detect").statusCode());
            assertEquals(404, get(s, "nothing-here").statusCode());
            // The server still serves after all of these.
            assertEquals(200, post(s, "v1/detect", png, "image/png").statusCode());
            assertEquals(7, s.metrics().requests("/v1/detect", 400));   // the seven bad bodies above
        }
    }

    @Test
    void tooLargeBodiesAndImagesGet413() throws Exception {
        ServeOptions small = options().withLimits(200_000, 100 * 100);
        try (ModelServer s = ModelServer.start(new FakeDetectors.Deterministic(), small)) {
            byte[] big = new byte[500_000];
            big[0] = (byte) 0x89;
            // The client is still sending when the answer is ready: the server reads the rest before it closes, so
            // the 413 arrives every time rather than a reset connection (a race that once failed CI).
            for (int i = 0; i < 10; i++) {
                HttpResponse<String> r = post(s, "v1/detect", big, "image/png");
                assertEquals(413, r.statusCode(), r.body());
                assertTrue(error(r).contains("--max-body-bytes"), r.body());
                assertEquals("close", r.headers().firstValue("connection").orElse(""), "the connection ends after a 413");

                // Without a Content-Length (chunked), the limit holds while reading.
                HttpRequest chunked = HttpRequest.newBuilder(s.uri().resolve("v1/detect")).timeout(Duration.ofSeconds(30))
                        .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(big))).build();
                HttpResponse<String> c = http.send(chunked, HttpResponse.BodyHandlers.ofString());
                assertEquals(413, c.statusCode(), c.body());
            }
            assertEquals(20, s.metrics().requests("/v1/detect", 413));

            // A small file of too many pixels is refused before it is decoded.
            HttpResponse<String> px = post(s, "v1/detect", FakeDetectors.png(200, 100, 0), "image/png");
            assertEquals(413, px.statusCode(), px.body());
            assertTrue(error(px).contains("20000 pixels") && error(px).contains("--max-pixels"), px.body());
            assertEquals(200, post(s, "v1/detect", FakeDetectors.png(100, 100, 0), "image/png").statusCode());
        }
    }

    @Test
    void aFullQueueGets503AtOnce() throws Exception {
        FakeDetectors.Blocking model = new FakeDetectors.Blocking();
        try (ModelServer s = ModelServer.start(model, options().withBatching(1, 0).withQueueCapacity(2))) {
            byte[] png = FakeDetectors.png(32, 32, 0);
            List<CompletableFuture<HttpResponse<String>>> waiting = new ArrayList<>();
            waiting.add(postAsync(s, png));
            assertTrue(model.entered.await(20, TimeUnit.SECONDS), "the model never got the first request");
            waiting.add(postAsync(s, png));
            waiting.add(postAsync(s, png));
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            while (s.batcher().depth() < 2 && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
            assertEquals(2, s.batcher().depth());
            long t0 = System.nanoTime();
            HttpResponse<String> busy = post(s, "v1/detect", png, "image/png");
            long ms = (System.nanoTime() - t0) / 1_000_000;
            assertEquals(503, busy.statusCode(), busy.body());
            assertEquals("1", busy.headers().firstValue("Retry-After").orElse(""));
            assertTrue(error(busy).contains("--queue-capacity"), busy.body());
            assertTrue(ms < 2000, "503 took " + ms + " ms");
            model.release.countDown();
            for (CompletableFuture<HttpResponse<String>> w : waiting) {
                assertEquals(200, w.get(30, TimeUnit.SECONDS).statusCode());
            }
            assertEquals(1, s.metrics().requests("/v1/detect", 503));
        }
    }

    private CompletableFuture<HttpResponse<String>> postAsync(ModelServer s, byte[] body) {
        return http.sendAsync(HttpRequest.newBuilder(s.uri().resolve("v1/detect")).timeout(Duration.ofSeconds(60))
                .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void aModelFailureGets500AndTheNextRequestSucceeds() throws Exception {
        try (ModelServer s = ModelServer.start(new FakeDetectors.FailingOn(13), options())) {
            HttpResponse<String> r = post(s, "v1/detect", FakeDetectors.png(13, 20, 0), "image/png");
            assertEquals(500, r.statusCode(), r.body());
            assertTrue(error(r).contains("simulated libtorch failure"), r.body());
            HttpResponse<String> ok = post(s, "v1/detect", FakeDetectors.png(14, 20, 0), "image/png");
            assertEquals(200, ok.statusCode(), ok.body());
            assertEquals(5, JSON.readTree(ok.body()).get("detections").size());
            assertEquals(200, get(s, "healthz").statusCode());
        }
    }

    @Test
    void healthzMetricsAndThePage() throws Exception {
        try (ModelServer s = ModelServer.start(new FakeDetectors.Deterministic(), options().withBatching(4, 2))) {
            HttpResponse<String> h = get(s, "healthz");
            assertEquals(200, h.statusCode());
            JsonNode j = JSON.readTree(h.body());
            assertEquals("ok", j.get("status").asText());
            assertEquals(List.of("cat", "dog", "bird"), JSON.convertValue(j.get("classes"), List.class));
            assertEquals(4, j.get("max_batch").asInt());

            post(s, "v1/detect", FakeDetectors.png(16, 16, 0), "image/png");
            post(s, "v1/detect", "x".getBytes(StandardCharsets.UTF_8), "image/png");
            HttpResponse<String> m = get(s, "metrics");
            assertEquals(200, m.statusCode());
            assertTrue(m.headers().firstValue("Content-Type").orElse("").startsWith("text/plain"), m.headers().toString());
            String t = m.body();
            for (String line : List.of("# TYPE dw_serve_requests_total counter",
                    "dw_serve_requests_total{code=\"200\",path=\"/v1/detect\"} 1.0",
                    "dw_serve_requests_total{code=\"400\",path=\"/v1/detect\"} 1.0",
                    "dw_serve_requests_total{code=\"200\",path=\"/healthz\"} 1.0",
                    "# TYPE dw_serve_request_duration_seconds histogram",
                    "dw_serve_request_duration_seconds_bucket{path=\"/v1/detect\",le=\"+Inf\"} 2",
                    "# TYPE dw_serve_batch_size histogram", "dw_serve_batch_size_bucket{le=\"1.0\"} 1",
                    "dw_serve_batch_size_count 1", "# TYPE dw_serve_queue_depth gauge", "dw_serve_queue_depth 0.0",
                    "dw_serve_queue_capacity 64.0", "dw_serve_batch_duration_seconds_count 1",
                    "dw_serve_model_failures_total 0.0")) {
                assertTrue(t.contains(line), "missing `" + line + "` in\n" + t);
            }

            HttpResponse<String> page = get(s, "");
            assertEquals(200, page.statusCode());
            assertTrue(page.headers().firstValue("Content-Type").orElse("").startsWith("text/html"));
            assertTrue(page.body().contains("id=\"file\"") && page.body().contains("/v1/detect"));
            assertTrue(!page.body().contains("http://") && !page.body().contains("https://"), "the page must load nothing from outside");
        }
    }

    @Test
    void aPortInUseIsOneClearError() throws Exception {
        try (ModelServer s = ModelServer.start(new FakeDetectors.Deterministic(), options())) {
            java.io.IOException e = org.junit.jupiter.api.Assertions.assertThrows(java.io.IOException.class,
                    () -> ModelServer.start(new FakeDetectors.Deterministic(), options().withPort(s.port())));
            assertTrue(e.getMessage().contains("cannot listen on 127.0.0.1:" + s.port()) && e.getMessage().contains("--port"),
                    e.getMessage());
            assertEquals(200, get(s, "healthz").statusCode());
        }
    }

    @Test
    void uriNamesTheLoopbackAddress() throws Exception {
        try (ModelServer s = ModelServer.start(new FakeDetectors.Deterministic(), options())) {
            assertEquals(URI.create("http://127.0.0.1:" + s.port() + "/"), s.uri());
            assertTrue(s.port() > 0);
        }
    }
}
