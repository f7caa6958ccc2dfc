package dev.dwjava.model.weights;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.dwjava.core.ScopedTensors;
import dev.dwjava.core.runtime.Torch;
import dev.dwjava.core.tensor.Tensors;
import dev.dwjava.model.Fixtures;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch.ScalarType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** The pure-Java torch.save reader and writer against files made by PyTorch 1.13 (make_fixtures.py). */
@ExtendWith(ScopedTensors.class)
class TorchFileTest {
    @Test
    @SuppressWarnings("unchecked")
    void readsContainersDtypesAndViews() throws IOException {
        Map<Object, Object> m = (Map<Object, Object>) TorchFile.load(Fixtures.path("kitchen_sink.pth"));
        assertEquals(List.of("f32", "f16", "bf16", "f64", "i64", "u8", "bool", "scalar", "view_slice", "view_t", "base",
                "param", "nested"), List.copyOf(m.keySet()));
        assertArrayEquals(new double[] {1.5, -2.25, 3.0, 4.125}, Tensors.toDoubles((Tensor) m.get("f32")));
        assertArrayEquals(new double[] {0.5, -1.0, 65504.0}, Tensors.toDoubles((Tensor) m.get("f16")));
        assertArrayEquals(new double[] {1.0, -3.5, 256.0}, Tensors.toDoubles((Tensor) m.get("bf16")));
        assertArrayEquals(new double[] {1e-300, 2.0}, Tensors.toDoubles((Tensor) m.get("f64")));
        assertArrayEquals(new long[] {-(1L << 40), 7}, Tensors.toLongs((Tensor) m.get("i64")));
        assertArrayEquals(new long[] {0, 255, 17}, Tensors.toLongs((Tensor) m.get("u8")));
        assertArrayEquals(new long[] {1, 0, 1}, Tensors.toLongs((Tensor) m.get("bool")));
        assertEquals(0, ((Tensor) m.get("scalar")).dim());
        assertEquals(3.25, ((Tensor) m.get("scalar")).item_double());
        assertArrayEquals(new double[] {2, 3, 4, 5, 6, 7}, Tensors.toDoubles((Tensor) m.get("view_slice")));
        assertArrayEquals(new long[] {4, 3}, ((Tensor) m.get("view_t")).shape());
        assertArrayEquals(new double[] {0, 4, 8, 1, 5, 9, 2, 6, 10, 3, 7, 11}, Tensors.toDoubles((Tensor) m.get("view_t")));
        assertArrayEquals(new double[] {9, 8}, Tensors.toDoubles((Tensor) m.get("param")));
        // Views share the storage of "base", as in PyTorch.
        ((Tensor) m.get("base")).select(0, 3).fill_(Tensors.s(-1.0));
        assertEquals(-1.0, Tensors.toDoubles((Tensor) m.get("view_slice"))[1]);
        Map<Object, Object> nested = (Map<Object, Object>) m.get("nested");
        Pickle.Tuple t = (Pickle.Tuple) nested.get("tuple");
        assertEquals(List.of(1L, "two", 3.0, Pickle.NONE, true, false), t.items());
        assertEquals(List.of(1L, List.of(2L, 3L)), nested.get("list"));
        assertEquals(BigInteger.TWO.pow(70), nested.get("big"));
        assertEquals(-5L, nested.get("neg"));
        assertEquals("gr\u00fc\u00dfe", nested.get("unicode"));
    }

    @Test
    void mmdetectionCheckpointUnwrapsToItsStateDict() throws IOException {
        Map<String, Tensor> sd = TorchFile.loadStateDict(Fixtures.path("tiny_dw_r50_mmdet.pth"));
        assertTrue(sd.containsKey("backbone.layer1.0.downsample.0.weight"));
        assertTrue(sd.containsKey("bbox_head.center_prior.sigma"));
        assertEquals(1234, sd.get("backbone.bn1.num_batches_tracked").item_long());
        assertArrayEquals(new long[] {3, 2}, sd.get("bbox_head.center_prior.mean").shape());
    }

    @Test
    void refusesGlobalsOutsideTheAllowList(@TempDir Path tmp) throws IOException {
        byte[] pkl = "\u0080\u0002cos\nsystem\nX\u0002\u0000\u0000\u0000ls\u0085R.".getBytes(StandardCharsets.ISO_8859_1);
        Path evil = tmp.resolve("evil.pth");
        try (ZipOutputStream zip = new ZipOutputStream(Files.newOutputStream(evil))) {
            zip.putNextEntry(new ZipEntry("archive/data.pkl"));
            zip.write(pkl);
            zip.closeEntry();
        }
        IOException e = assertThrows(IOException.class, () -> TorchFile.load(evil));
        assertTrue(e.getMessage().contains("refusing to load global 'os.system'"), e.getMessage());
    }

    @Test
    void truncatedLegacyAndNonCheckpointFilesGetClearErrors(@TempDir Path tmp) throws IOException {
        Path legacy = tmp.resolve("old.pth");
        Files.write(legacy, new byte[] {(byte) 0x80, 0x02, (byte) 0x8a, 0x0a});
        IOException e = assertThrows(IOException.class, () -> TorchFile.load(legacy));
        assertEquals(legacy + " (magic number): truncated or corrupt pickle: 10 bytes needed at byte 4, 0 left", e.getMessage());
        Path junk = tmp.resolve("junk.pth");
        Files.writeString(junk, "hello");
        e = assertThrows(IOException.class, () -> TorchFile.load(junk));
        assertTrue(e.getMessage().startsWith(junk + " is not a PyTorch checkpoint"), e.getMessage());
        assertThrows(java.nio.file.NoSuchFileException.class, () -> TorchFile.load(tmp.resolve("missing.pth")));
    }

    @Test
    void writerRoundTripsAndPyTorchReadsOurFiles(@TempDir Path tmp) throws IOException {
        Path ours = tmp.resolve("sample.pth");
        Map<String, Tensor> sample = Fixtures.writerSample();
        TorchFileWriter.writeStateDict(ours, sample);
        Map<String, Tensor> back = TorchFile.loadStateDict(ours);
        assertEquals(List.copyOf(sample.keySet()), List.copyOf(back.keySet()));
        for (String k : sample.keySet()) {
            assertArrayEquals(Tensors.toDoubles(sample.get(k)), Tensors.toDoubles(back.get(k)), 0.0, k);
            assertArrayEquals(sample.get(k).shape(), back.get(k).shape(), k);
        }
        assertTrue(Tensors.hasType(back.get("backbone.bn1.num_batches_tracked"), ScalarType.Long));
        // The committed copy of these bytes was read by PyTorch's torch.load (make_fixtures.py verify); the writer
        // must still produce exactly those bytes, and what torch.load saw must match the sample.
        assertArrayEquals(Files.readAllBytes(Fixtures.path("java_written_state_dict.pth")), Files.readAllBytes(ours),
                "writer output changed: re-verify with python3 make_fixtures.py verify FILE");
        JsonNode seen = new ObjectMapper().readTree(Fixtures.path("java_written_state_dict.pth.torch_load.json").toFile());
        assertEquals("OrderedDict", seen.get("type").asText());
        for (String k : sample.keySet()) {
            JsonNode t = seen.get("tensors").get(k);
            double sum = 0;
            for (double v : Tensors.toDoubles(sample.get(k))) {
                sum += v;
            }
            assertEquals(sum, t.get("sum").asDouble(), 1e-12, k);
            assertEquals(java.util.Arrays.toString(sample.get(k).shape()), t.get("shape").toString().replace(",", ", "), k);
        }
    }

    /** Writes the sample for PyTorch to verify: run once when the writer's format changes on purpose. */
    public static void main(String[] args) throws IOException {
        Torch.init();
        TorchFileWriter.writeStateDict(Path.of(args[0]), Fixtures.writerSample());
    }

    @Test
    void sameStorageTensorsComeBackAsOneObject() throws IOException {
        @SuppressWarnings("unchecked")
        Map<Object, Object> m = (Map<Object, Object>) TorchFile.load(Fixtures.path("kitchen_sink.pth"));
        assertInstanceOf(Tensor.class, m.get("base"));
        assertSame(m.get("nested"), m.get("nested"));
    }

    /** Rewrites {@code from} with record {@code entry} replaced by {@code data} (deflated: a few KB on disk). */
    private static Path withRecord(Path from, Path to, String entry, byte[] data) throws IOException {
        try (java.util.zip.ZipFile in = new java.util.zip.ZipFile(from.toFile());
             java.util.zip.ZipOutputStream out = new java.util.zip.ZipOutputStream(java.nio.file.Files.newOutputStream(to))) {
            for (var e = in.entries(); e.hasMoreElements(); ) {
                java.util.zip.ZipEntry z = e.nextElement();
                out.putNextEntry(new java.util.zip.ZipEntry(z.getName()));
                out.write(z.getName().equals(entry) ? data : in.getInputStream(z).readAllBytes());
                out.closeEntry();
            }
        }
        return to;
    }

    @Test
    void recordSizesAreCheckedAgainstThePickleBeforeAnythingLarge(@TempDir Path tmp) throws IOException {
        Path good = Fixtures.path("tiny_dw_r50_mmdet.pth");
        // 64 MB of zeros where the pickle declares 2,352 bytes: refused from the record's size, not read into memory.
        Path bomb = withRecord(good, tmp.resolve("bomb.pth"), "tiny_dw_r50_mmdet/data/0", new byte[64 << 20]);
        assertTrue(java.nio.file.Files.size(bomb) < 1 << 20);
        IOException e = assertThrows(IOException.class, () -> TorchFile.load(bomb));
        assertTrue(e.getMessage().startsWith(bomb + ": record tiny_dw_r50_mmdet/data/0 claims 67108864 bytes, more than the 2352"),
                e.getMessage());
        Path cut = withRecord(good, tmp.resolve("cut.pth"), "tiny_dw_r50_mmdet/data/0", new byte[100]);
        e = assertThrows(IOException.class, () -> TorchFile.load(cut));
        assertTrue(e.getMessage().contains("record data/0 holds 100 bytes, less than the 588 elements"), e.getMessage());
    }
}
