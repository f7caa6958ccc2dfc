package dev.dwjava.train.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;

import dev.dwjava.core.runtime.ComputeDevice;
import dev.dwjava.core.runtime.Torch;

/** What every benchmark reports besides its timings, and the helpers they share. */
public final class BenchStats {
    private BenchStats() {}

    public static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s.length == 0 ? Double.NaN : s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }

    /** Peak resident set size (VmHWM) of this process in MiB, or -1 where /proc is unavailable. */
    public static long peakRssMb() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("VmHWM:")) {
                    return Long.parseLong(line.replaceAll("\\D", "")) / 1024;
                }
            }
        } catch (IOException | NumberFormatException e) {
            return -1;
        }
        return -1;
    }

    /** Adds peak memory, thread count and the libtorch version to a benchmark's figures. */
    public static Map<String, Object> withProcessInfo(Map<String, Object> result) {
        result.put("peak_rss_mb", peakRssMb());
        result.put("threads", Torch.init().threads());
        result.put("libtorch", Torch.init().pytorchVersion());
        return result;
    }

    /** Waits for queued GPU work, so wall-clock times measure it (no-op on the CPU). */
    public static void sync(ComputeDevice device) {
        if (device.cuda()) {
            org.bytedeco.pytorch.global.torch_cuda.device_synchronize();
        }
    }

    /** Parses {@code HxW} with both multiples of 32 (the network's largest stride). */
    public static int[] parseSize(String size) {
        String[] p = size.toLowerCase().split("x");
        try {
            if (p.length == 2) {
                int h = Integer.parseInt(p[0]), w = Integer.parseInt(p[1]);
                if (h > 0 && w > 0 && h % 32 == 0 && w % 32 == 0) {
                    return new int[] {h, w};
                }
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new IllegalArgumentException("--size must be HxW with positive multiples of 32, found " + size);
    }
}
