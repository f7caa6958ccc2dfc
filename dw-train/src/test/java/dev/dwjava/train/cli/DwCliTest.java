package dev.dwjava.train.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.dwjava.core.TestData;
import dev.dwjava.core.reference.BundledCases;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The command line: exit codes, messages and the files it writes. */
class DwCliTest extends CliTestBase {
    @Test
    void versionPrintsLibtorchAndThreads() {
        assertEquals(0, run("version"));
        assertTrue(out.toString().contains("libtorch  2.13.0-1.5.14 (linux-x86_64)"), out.toString());
        assertTrue(out.toString().matches("(?s).*threads   \\d+ intra-op.*"), out.toString());
        assertTrue(out.toString().matches("(?s).*kernels   (CUDA fatbin \\d+ KiB \\(sm_80, sm_90, PTX\\)|no CUDA fatbin \\(built without nvcc\\))"
                + "; host build (loaded|not available).*"), out.toString());
    }

    @Test
    void versionReportsBothKernelBuildsWhereNvccAndGppExist() {
        // dw-kernels builds the fatbin where nvcc exists (build-fatbin.sh) and the host library where /usr/bin/g++ does.
        assumeTrue(nvccPresent(), "no nvcc in " + CUDA_HOME + "/bin or on PATH: dw-kernels is built without the fatbin");
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/g++")), "no /usr/bin/g++: dw-kernels is built without the host library");
        assertEquals(0, run("version"));
        assertTrue(out.toString().matches("(?s).*kernels   CUDA fatbin \\d+ KiB \\(sm_80, sm_90, PTX\\); host build loaded.*"), out.toString());
    }

    /** Where build-fatbin.sh looks first: dw-kernels' {@code cuda.home}, which a {@code -Dcuda.home=} also gives us. */
    private static final String CUDA_HOME = System.getProperty("cuda.home", "/usr/local/cuda-13.0");

    private static boolean nvccPresent() {
        if (Files.isExecutable(Path.of(CUDA_HOME, "bin", "nvcc"))) {
            return true;
        }
        return Arrays.stream(System.getenv().getOrDefault("PATH", "").split(File.pathSeparator))
                .anyMatch(d -> !d.isEmpty() && Files.isExecutable(Path.of(d, "nvcc")));
    }

    @Test
    void unknownSubcommandOrFlagPrintsUsage() {
        assertEquals(2, run("frobnicate"));
        assertTrue(err.toString().contains("Unmatched argument at index 0: 'frobnicate'"), err.toString());
        assertTrue(err.toString().contains("Usage: dw"), err.toString());
        assertEquals(2, run("version", "--nope"));
        assertTrue(err.toString().contains("Unknown option: '--nope'"), err.toString());
    }

    @Test
    void referenceWritesTheExpectedLayoutAndPasses(@TempDir Path tmp) throws Exception {
        Path caseFile = BundledCases.load(BundledCases.LOSS_EXAMPLE).file();
        Path result = tmp.resolve("sub/out.json");
        assertEquals(0, run("reference", "--case", caseFile.toString(), "--out", result.toString()));
        assertTrue(out.toString().contains("-> OK"), out.toString());
        JsonNode got = new ObjectMapper().readTree(Files.readString(result));
        JsonNode expected = new ObjectMapper().readTree(Files.readString(caseFile)).get("expected");
        expected.fieldNames().forEachRemaining(k -> assertTrue(got.has(k), "missing " + k));
        assertEquals(5, got.get("grad_of_total").get("cls_scores").size());
        assertEquals(expected.get("loss_total").asDouble(), got.get("loss_total").asDouble(), 1e-15);
    }

    @Test
    void referenceRunsRefineAndPostprocessCases() {
        assertEquals(0, run("reference", "--case", TestData.path("dw_reference/refine_example.json").toString()));
        assertEquals(0, run("reference", "--case", TestData.path("dw_reference/postprocess_example.json").toString()));
        assertTrue(out.toString().contains("refine_example.json (REFINE case, float64)"), out.toString());
        assertTrue(out.toString().contains("postprocess_example.json (POSTPROCESS case, float32)"), out.toString());
        assertTrue(out.toString().contains("(tolerance 2e-07 relative)"), out.toString());
    }

    @Test
    void referenceFailsWithExitOneWhenBeyondTolerance() {
        Path caseFile = BundledCases.load(BundledCases.LOSS_EXAMPLE).file();
        assertEquals(1, run("reference", "--case", caseFile.toString(), "--dtype", "float32", "--tolerance", "1e-12"));
        assertTrue(out.toString().contains("FAILED"), out.toString());
    }

    @Test
    void badInputGetsOneClearLine(@TempDir Path tmp) throws Exception {
        assertEquals(2, run("reference", "--case", tmp.resolve("missing.json").toString()));
        assertTrue(err.toString().contains("dw reference: reference case not found: "), err.toString());
        Path broken = tmp.resolve("broken.json");
        Files.writeString(broken, "{\"inputs\": {\"cls_scores\": [1, 2,");
        assertEquals(2, run("reference", "--case", broken.toString()));
        assertTrue(err.toString().contains(broken + " is not valid JSON"), err.toString());
        Path noKey = tmp.resolve("nokey.json");
        Files.writeString(noKey, "{\"inputs\": {\"cls_scores\": []}}");
        assertEquals(2, run("reference", "--case", noKey.toString()));
        assertTrue(err.toString().contains("cannot tell the case kind"), err.toString());
        assertEquals(2, run("reference", "--case", BundledCases.load(BundledCases.LOSS_EXAMPLE).file().toString(), "--dtype", "half"));
        assertTrue(err.toString().contains("--dtype must be float32 or float64, found 'half'"), err.toString());
    }

    @Test
    void selfcheckPassesOnTheBundledCase() {
        assertEquals(0, run("selfcheck"));
        assertTrue(out.toString().contains("selfcheck passed"), out.toString());
    }

    @Test
    void libtorchThatCannotLoadIsReportedWithTheReason() throws Exception {
        // A separate JVM told to load natives of a platform the jars do not carry.
        String cp = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Dorg.bytedeco.javacpp.platform=linux-ppc64le", "-cp", cp, DwCli.class.getName(), "version")
                .redirectErrorStream(true).start();
        String text = new String(p.getInputStream().readAllBytes());
        assertEquals(2, p.waitFor(), text);
        assertTrue(text.contains("dw version: libtorch could not be loaded for platform 'linux-ppc64le'"), text);
    }

    @Test
    void forwardWritesEveryLevelAndMatchesThePyTorchOutputs(@TempDir Path tmp) throws Exception {
        dev.dwjava.core.runtime.Torch.init();
        java.util.Map<String, org.bytedeco.pytorch.Tensor> io = dev.dwjava.model.weights.TorchFile.loadStateDict(
                dev.dwjava.model.Fixtures.path("tiny_dw_r50_io.pth"));
        Path input = tmp.resolve("x.npy");
        dev.dwjava.model.io.Npy.write(input, io.get("input"));
        Path config = Path.of(getClass().getClassLoader().getResource("configs/tiny_full.yaml").toURI());
        assertEquals(0, run("forward", "--config", config.toString(), "--weights",
                dev.dwjava.model.Fixtures.path("tiny_dw_r50_mmdet.pth").toString(), "--input", input.toString(),
                "--out", tmp.resolve("out").toString()));
        for (int l = 0; l < 5; l++) {
            org.bytedeco.pytorch.Tensor reg = dev.dwjava.model.io.Npy.read(tmp.resolve("out/reg_" + l + ".npy"));
            assertTrue(reg.sub(io.get("reg_" + l)).abs().max().item_double() < 1e-3, "reg_" + l);
            assertTrue(Files.isRegularFile(tmp.resolve("out/cls_" + l + ".npy")));
            assertTrue(Files.isRegularFile(tmp.resolve("out/obj_" + l + ".npy")));
        }
    }

    @Test
    void detectDrawsAPicture(@TempDir Path tmp) throws Exception {
        java.awt.image.BufferedImage img = new java.awt.image.BufferedImage(96, 64, java.awt.image.BufferedImage.TYPE_INT_RGB);
        Path image = tmp.resolve("in.png");
        javax.imageio.ImageIO.write(img, "png", image.toFile());
        Path config = Path.of(getClass().getClassLoader().getResource("configs/tiny_full.yaml").toURI());
        assertEquals(0, run("detect", "--config", config.toString(), "--weights",
                dev.dwjava.model.Fixtures.path("tiny_dw_r50_mmdet.pth").toString(), "--image", image.toString(),
                "--out", tmp.resolve("out.png").toString(), "--score-thr", "0.0"), () -> err.toString());
        assertTrue(out.toString().contains("drawn to"), out.toString());
        assertEquals(96, javax.imageio.ImageIO.read(tmp.resolve("out.png").toFile()).getWidth());
    }

    @Test
    void printConfigShowsTheMergedValues() throws Exception {
        Path config = Path.of(getClass().getClassLoader().getResource("configs/tiny_full.yaml").toURI());
        assertEquals(0, run("print-config", config.toString(), "--cfg-options", "solver.lr=0.02"));
        assertTrue(out.toString().contains("lr: 0.02"), out.toString());
        assertTrue(out.toString().contains("base_width: 4"), out.toString());
    }

    @Test
    void benchPrintsTimingsAsJson() throws Exception {
        Path config = Path.of(getClass().getClassLoader().getResource("configs/tiny_full.yaml").toURI());
        assertEquals(0, run("bench", "train-step", "--config", config.toString(), "--batch", "2", "--size", "64x64", "--iters", "2"));
        JsonNode r = new ObjectMapper().readTree(out.toString());
        assertTrue(r.get("step_ms_median").asDouble() > 0, out.toString());
        assertTrue(r.get("peak_rss_mb").asLong() > 100, out.toString());
        out.getBuffer().setLength(0);
        // --amp alone on a CPU: bf16 steps timed alternately with fp32 ones, both medians and their ratio.
        assertEquals(0, run("bench", "train-step", "--config", config.toString(), "--batch", "1", "--size", "64x64", "--iters",
                "2", "--amp"));
        JsonNode amp = new ObjectMapper().readTree(out.toString());
        assertEquals("bf16", amp.get("amp").asText());
        assertEquals(amp.get("step_ms_median").asDouble() / amp.get("fp32_step_ms_median").asDouble(),
                amp.get("step_time_vs_fp32").asDouble(), 1e-9);
        assertEquals(2, run("train", "--config", config.toString(), "--amp", "fp16", "--work-dir", "/nonexistent/never"));
        assertTrue(err.toString().contains("runtime.amp: fp16 needs a CUDA device; on a CPU use bf16 (or off)"), err.toString());
        out.getBuffer().setLength(0);
        assertEquals(0, run("bench", "inference", "--config", config.toString(), "--size", "64x96", "--iters", "1"));
        assertTrue(new ObjectMapper().readTree(out.toString()).get("forward_ms_median").asDouble() > 0, out.toString());
        assertEquals(2, run("bench", "inference", "--config", config.toString(), "--size", "60x96"));
        assertTrue(err.toString().contains("--size must be HxW with positive multiples of 32, found 60x96"), err.toString());
    }

    @Test
    void cocoEvalPrintsTheSummaryAndWritesStats(@TempDir Path tmp) throws Exception {
        Path gt = TestData.path("coco_eval/crowd_gt.json"), dt = TestData.path("coco_eval/crowd_dt.json");
        Path stats = tmp.resolve("stats.json");
        assertEquals(0, run("coco-eval", "--ann", gt.toString(), "--results", dt.toString(), "--out", stats.toString()));
        assertTrue(out.toString().contains("maxDets=100 ] = 0.202"), out.toString());
        JsonNode r = new ObjectMapper().readTree(stats.toFile());
        assertEquals(0.201838, r.get("stats").get(0).asDouble(), 1e-6);
        assertEquals(5, r.get("per_class").size());
        assertEquals(2, run("coco-eval", "--ann", gt.toString(), "--results", tmp.resolve("none.json").toString()));
        assertTrue(err.toString().contains("none.json"), err.toString());
    }

    @Test
    void browseDrawsGroundTruth(@TempDir Path tmp) throws Exception {
        Path data = tmp.resolve("data");
        dev.dwjava.data.synthetic.SyntheticCoco.generate(data, 2, 6, 64, 1);
        String config = dev.dwjava.train.app.TrainRunnerTest.quickstartConfig().toString();
        String[] over = {"--cfg-options", "data.val.annotations=" + data + "/annotations/instances_val.json",
            "data.val.images=" + data + "/val"};
        List<String> args = new java.util.ArrayList<>(List.of("browse", "--config", config, "--out", tmp.resolve("gt").toString(),
                "--count", "3"));
        args.addAll(List.of(over));
        assertEquals(0, run(args.toArray(new String[0])), err.toString());
        assertTrue(out.toString().contains("drew 3 images"), out.toString());
        assertEquals(3, Files.list(tmp.resolve("gt")).count());
        assertEquals(2, run("browse", "--config", config, "--out", tmp.resolve("gt").toString(), "--split", "test"));
        assertTrue(err.toString().contains("--split must be train or val, found 'test'"), err.toString());
    }

    @Test
    void quickstartFindsItsConfigInTheDistributionFolder(@TempDir Path home) throws Exception {
        // Surefire runs in dw-train/, where there is no configs/; the distribution's bin/dw sets dw.home.
        assumeTrue(!Files.exists(Path.of("configs/quickstart.yaml")), "the working directory has its own configs/");
        Path config = Files.createDirectories(home.resolve("configs")).resolve("quickstart.yaml");
        Files.writeString(config, "model: {}\n");
        String before = System.getProperty("dw.home");
        System.setProperty("dw.home", home.toString());
        try {
            assertEquals(config, QuickstartCommand.locateConfig());
        } finally {
            if (before == null) {
                System.clearProperty("dw.home");
            } else {
                System.setProperty("dw.home", before);
            }
        }
        assertEquals(Path.of("../configs/quickstart.yaml"), QuickstartCommand.locateConfig());
    }
}
