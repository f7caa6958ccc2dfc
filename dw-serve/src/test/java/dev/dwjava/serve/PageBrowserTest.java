package dev.dwjava.serve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.dwjava.model.inference.Detector;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The page at {@code /} in a real headless Chromium (Debian's chromium and chromium-driver): a person picks an image,
 * the page posts it and draws the boxes. Skipped where the browser or its driver is not installed.
 */
class PageBrowserTest {
    private static final Path CHROMIUM = Path.of("/usr/bin/chromium");
    private static final Path DRIVER = Path.of("/usr/bin/chromedriver");

    @Test
    void aPickedImageIsDetectedAndItsBoxesDrawn(@TempDir Path tmp) throws Exception {
        Assumptions.assumeTrue(Files.isExecutable(CHROMIUM) && Files.isExecutable(DRIVER),
                "page test skipped: " + CHROMIUM + " or " + DRIVER + " is missing (apt-get install chromium chromium-driver)");
        TinyModel.ModelFiles files = TinyModel.write(tmp.resolve("model"));
        Detector detector = Detector.load(files.config(), files.weights());
        byte[] png = FakeDetectors.png(160, 120, 40);
        Path image = tmp.resolve("picture.png");
        Files.write(image, png);
        Path notImage = tmp.resolve("notes.png");
        Files.writeString(notImage, "not a picture");

        try (ModelServer s = ModelServer.start(new DetectorAdapter(detector), ServeOptions.DEFAULT.withPort(0))) {
            HttpResponse<String> api = HttpClient.newHttpClient().send(HttpRequest.newBuilder(s.uri().resolve("v1/detect?score_thr=0.001"))
                    .POST(HttpRequest.BodyPublishers.ofByteArray(png)).build(), HttpResponse.BodyHandlers.ofString());
            JsonNode answer = new ObjectMapper().readTree(api.body());
            int expected = answer.get("detections").size();
            assertTrue(expected > 0, api.body());

            ChromeDriver browser = browser(tmp);
            try {
                browser.get(s.uri().toString());
                WebElement thr = browser.findElement(By.id("thr"));
                thr.clear();
                thr.sendKeys("0.001");
                browser.findElement(By.id("file")).sendKeys(image.toAbsolutePath().toString());
                WebDriverWait wait = new WebDriverWait(browser, Duration.ofSeconds(60));
                WebElement status = browser.findElement(By.id("status"));
                wait.until(d -> !"busy".equals(status.getAttribute("data-state")) && !"idle".equals(status.getAttribute("data-state")));
                assertEquals("done", status.getAttribute("data-state"), status.getText());
                WebElement canvas = browser.findElement(By.id("canvas"));
                assertEquals(String.valueOf(expected), canvas.getAttribute("data-drawn"));
                assertEquals(expected, browser.findElements(By.cssSelector("#results li.det")).size());
                assertEquals("160", canvas.getAttribute("width"));
                assertEquals("120", canvas.getAttribute("height"));
                assertTrue(status.getText().startsWith(expected + " detection"), status.getText());
                String first = answer.get("detections").get(0).get("class_name").asText();
                assertTrue(browser.findElements(By.cssSelector("#results li.det")).get(0).getText().startsWith(first));
                // The top box's outline is drawn in its class colour on the canvas: near its left edge, halfway down, a
                // pixel within anti-aliasing of that colour (the page's palette, by class id).
                JsonNode top = answer.get("detections").get(0);
                JsonNode box = top.get("box");
                @SuppressWarnings("unchecked")
                java.util.List<Number> px = (java.util.List<Number>) ((JavascriptExecutor) browser).executeScript(
                        "const c = document.getElementById('canvas').getContext('2d');"
                                + "return Array.from(c.getImageData(arguments[0], arguments[1], 3, 1).data);",
                        (int) Math.floor(box.get(0).asDouble()) - 1, (int) Math.round((box.get(1).asDouble() + box.get(3).asDouble()) / 2));
                int[][] palette = {{230, 25, 75}, {60, 180, 75}, {67, 99, 216}, {245, 130, 49}};
                int[] want = palette[top.get("class_id").asInt()];
                boolean found = false;
                for (int k = 0; k < 3 && !found; k++) {
                    found = Math.abs(px.get(4 * k).intValue() - want[0]) < 40 && Math.abs(px.get(4 * k + 1).intValue() - want[1]) < 40
                            && Math.abs(px.get(4 * k + 2).intValue() - want[2]) < 40;
                }
                assertTrue(found, "no pixel of the class colour " + java.util.Arrays.toString(want) + " at the box's left edge: " + px);
                Files.write(Path.of("target", "page-test.png"), browser.getScreenshotAs(OutputType.BYTES));

                // A file that is no image: the page shows the server's reason.
                browser.findElement(By.id("file")).sendKeys(notImage.toAbsolutePath().toString());
                wait.until(d -> "error".equals(status.getAttribute("data-state")));
                assertTrue(status.getText().startsWith("Error 400") && status.getText().contains("not an image"), status.getText());
            } finally {
                browser.quit();
            }
        }
    }

    /** Headless Chromium that reaches nothing but the server: no downloads of drivers, updates or sync. */
    private static ChromeDriver browser(Path tmp) throws Exception {
        System.setProperty("webdriver.chrome.driver", DRIVER.toString());   // known driver: Selenium Manager stays idle
        ChromeOptions o = new ChromeOptions();
        o.setBinary(CHROMIUM.toFile());
        o.addArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--disable-dev-shm-usage", "--window-size=1000,900",
                "--user-data-dir=" + Files.createDirectories(tmp.resolve("chromium-profile")));
        ChromeDriverService service = new ChromeDriverService.Builder().usingDriverExecutable(new File(DRIVER.toString()))
                .usingAnyFreePort().build();
        return new ChromeDriver(service, o);
    }
}
