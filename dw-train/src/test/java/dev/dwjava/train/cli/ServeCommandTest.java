package dev.dwjava.train.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

import dev.dwjava.serve.ServeOptions;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** {@code dw serve} maps its options onto the server's settings; {@code dw bench serve} runs, bounded. */
class ServeCommandTest extends CliTestBase {
    @Test
    void serveOptionsBecomeTheServersSettings() {
        ServeCommand c = CommandLine.populateCommand(new ServeCommand(), "--config", "c.yaml", "--weights", "w.pth",
                "--port", "0", "--max-batch", "16", "--max-wait-ms", "20", "--queue-capacity", "5", "--max-body-bytes", "1000",
                "--max-pixels", "640000", "--threads", "6");
        assertEquals(new ServeOptions("127.0.0.1", 0, 16, 20, 5, 1000, 640000, 6), c.options());
        ServeCommand d = CommandLine.populateCommand(new ServeCommand(), "--config", "c.yaml", "--weights", "w.pth");
        assertEquals(ServeOptions.DEFAULT, d.options());
    }

    @Test
    void badServeOptionsFailInOneLineBeforeTheModelLoads() {
        assertEquals(2, run("serve", "--config", "missing.yaml", "--weights", "missing.pth", "--max-batch", "0"));
        assertTrue(err.toString().contains("--max-batch must be at least 1"), err.toString());
        assertFalse(err.toString().contains("\tat "), err.toString());
    }

    @Test
    void benchServeMeasuresBatchingOnAndOffAndTheSoak() {
        assertEquals(0, run("bench", "serve", "--requests", "12", "--max-seconds", "20", "--concurrency", "1,4",
                "--soak-requests", "40"), err.toString());
        String o = out.toString();
        assertTrue(o.contains("batching") && o.contains("p99 ms") && o.contains("mean batch"), o);
        Matcher rows = Pattern.compile("(?m)^(off|on \\(max 8, 5 ms\\))\\s+(\\d+)\\s+(\\d+)\\s+(\\d+)\\s").matcher(o);
        int n = 0;
        while (rows.find()) {
            n++;
            assertEquals(12, Integer.parseInt(rows.group(3)), o);   // all requests answered within the time limit
            assertEquals(0, Integer.parseInt(rows.group(4)), o);
        }
        assertEquals(4, n, o);
        assertTrue(o.contains("soak: 40 requests (0 failed)"), o);
    }
}
