package dev.dwjava.serve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.dwjava.core.image.ImageDecoder;
import dev.dwjava.core.image.RgbImage;
import dev.dwjava.model.inference.Detection;
import dev.dwjava.model.inference.Detector;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The real (tiny) model behind the server: concurrent, batched answers equal single-image detections. */
class TinyModelServeTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void batchedAnswersOverHttpEqualSingleImageDetections(@TempDir Path tmp) throws Exception {
        TinyModel.ModelFiles files = TinyModel.write(tmp);
        Detector detector = Detector.load(files.config(), files.weights());
        int[][] sizes = {{100, 80}, {64, 128}, {150, 150}, {90, 60}, {128, 96}, {200, 120}, {33, 47}, {128, 128}};
        List<byte[]> bodies = new ArrayList<>();
        List<List<Detection>> expected = new ArrayList<>();
        for (int i = 0; i < 16; i++) {
            int[] wh = sizes[i % sizes.length];
            byte[] png = FakeDetectors.png(wh[0], wh[1], 17 * i);
            bodies.add(png);
            RgbImage im = ImageDecoder.decode(png, "test");
            expected.add(detector.detect(im).stream().filter(d -> d.score() > 0.001f).toList());
        }
        HttpClient http = HttpClient.newHttpClient();
        try (ModelServer s = ModelServer.start(new DetectorAdapter(detector), ServeOptions.DEFAULT.withPort(0).withBatching(8, 200))) {
            List<CompletableFuture<HttpResponse<String>>> answers = new ArrayList<>();
            for (byte[] b : bodies) {
                answers.add(http.sendAsync(HttpRequest.newBuilder(s.uri().resolve("v1/detect?score_thr=0.001"))
                        .timeout(Duration.ofSeconds(120)).POST(HttpRequest.BodyPublishers.ofByteArray(b)).build(),
                        HttpResponse.BodyHandlers.ofString()));
            }
            for (int i = 0; i < answers.size(); i++) {
                HttpResponse<String> r = answers.get(i).get(120, TimeUnit.SECONDS);
                assertEquals(200, r.statusCode(), r.body());
                JsonNode j = JSON.readTree(r.body());
                int[] wh = sizes[i % sizes.length];
                assertEquals(wh[0], j.get("width").asInt());
                assertEquals(wh[1], j.get("height").asInt());
                List<Detection> e = expected.get(i);
                JsonNode dets = j.get("detections");
                assertTrue(e.size() > 0, "the tiny model keeps up to 10 detections per image");
                assertEquals(e.size(), dets.size(), "request " + i);
                for (int k = 0; k < e.size(); k++) {
                    Detection d = e.get(k);
                    JsonNode g = dets.get(k);
                    assertEquals(d.className(), g.get("class_name").asText(), "request " + i + " detection " + k);
                    assertEquals(d.score(), g.get("score").doubleValue(), 1e-4);
                    double[] box = {d.x1(), d.y1(), d.x2(), d.y2()};
                    // A batched forward rounds differently from a single one (about 1e-7 relative in the head's
                    // outputs): boxes of ~100 px then differ by a few 1e-4 px. A thousandth of a pixel bounds that.
                    for (int c = 0; c < 4; c++) {
                        assertEquals(box[c], g.get("box").get(c).doubleValue(), 1e-3, "request " + i + " detection " + k);
                    }
                    assertTrue(d.x2() <= wh[0] + 1e-3 && d.y2() <= wh[1] + 1e-3, "boxes in the original pixels: " + d);
                }
            }
            Matcher m = Pattern.compile("(?m)^dw_serve_batch_size_count (\\d+)").matcher(new String(s.metrics().text()));
            assertTrue(m.find());
            int calls = Integer.parseInt(m.group(1));
            assertTrue(calls < 16, "16 concurrent requests took " + calls + " model calls: no batching");
        }
    }
}
