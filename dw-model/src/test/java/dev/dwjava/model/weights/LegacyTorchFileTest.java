package dev.dwjava.model.weights;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.dwjava.core.ScopedTensors;
import dev.dwjava.core.tensor.Tensors;
import dev.dwjava.model.Fixtures;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * PyTorch's legacy layouts (tar and magic number) against files checked with PyTorch 1.13's torch.load
 * (make_legacy_fixtures.py): exact tensor bytes, dtypes, views, the allow-list, and truncated or corrupt files.
 */
@ExtendWith(ScopedTensors.class)
class LegacyTorchFileTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Map<ScalarType, String> DTYPES = Map.of(ScalarType.Float, "float32", ScalarType.Double, "float64",
            ScalarType.Half, "float16", ScalarType.Long, "int64", ScalarType.Int, "int32", ScalarType.Byte, "uint8");

    /** PyTorch's dtype name ("float32", ...). */
    private static String dtype(Tensor t) {
        return DTYPES.entrySet().stream().filter(e -> Tensors.hasType(t, e.getKey())).map(Map.Entry::getValue)
                .findFirst().orElse("other");
    }

    /** The same ResNet-50 (width 4) state dict in the three layouts: every tensor's bytes hash as torch.load's did. */
    @ParameterizedTest
    @ValueSource(strings = {"tv_r50_w4_legacy_tar.pth", "tv_r50_w4_legacy.pth", "tv_r50_w4_zip.pth"})
    void backboneFileMatchesTorchLoadByteForByte(String name) throws IOException {
        JsonNode expected = JSON.readTree(Fixtures.path("tv_r50_w4.json").toFile());
        Map<String, Tensor> sd = TorchFile.loadStateDict(Fixtures.path(name));
        List<String> names = new ArrayList<>();
        expected.fieldNames().forEachRemaining(names::add);
        assertEquals(names, List.copyOf(sd.keySet()));
        assertEquals(267, sd.size());                    // 265 backbone tensors + fc.weight, fc.bias
        assertFalse(sd.keySet().stream().anyMatch(k -> k.endsWith("num_batches_tracked")));
        for (String k : names) {
            JsonNode e = expected.get(k);
            Tensor t = sd.get(k);
            assertEquals(e.get("dtype").asText(), dtype(t), k);
            assertEquals(e.get("shape").toString(), JSON.writeValueAsString(t.shape()), k);
            assertEquals(e.get("sha256").asText(), sha256(t), k);
        }
    }

    @Test
    void legacyAndZipLoadsAreEqualTensorByTensor() throws IOException {
        Map<String, Tensor> zip = TorchFile.loadStateDict(Fixtures.path("tv_r50_w4_zip.pth"));
        for (String name : new String[] {"tv_r50_w4_legacy_tar.pth", "tv_r50_w4_legacy.pth"}) {
            Map<String, Tensor> legacy = TorchFile.loadStateDict(Fixtures.path(name));
            assertEquals(zip.keySet(), legacy.keySet());
            zip.forEach((k, v) -> assertTrue(torch.equal(v, legacy.get(k)), name + " " + k));
        }
        assertArrayEquals(new long[] {4, 3, 7, 7}, zip.get("conv1.weight").shape());
        assertArrayEquals(new long[] {128, 64, 1, 1}, zip.get("layer4.0.downsample.0.weight").shape());
    }

    /** Several dtypes, shared storages, views with offsets, a transposed view, a 0-dim tensor and containers. */
    @ParameterizedTest
    @ValueSource(strings = {"magic", "tar"})
    @SuppressWarnings("unchecked")
    void kitchenSinkMatchesTorchLoad(String layout) throws IOException {
        String file = layout.equals("tar") ? "legacy_kitchen_tar.pth" : "legacy_kitchen.pth";
        JsonNode expected = JSON.readTree(Fixtures.path("legacy_kitchen.json").toFile()).get(layout);
        Map<Object, Object> m = (Map<Object, Object>) TorchFile.load(Fixtures.path(file));
        List<String> names = new ArrayList<>();
        expected.fieldNames().forEachRemaining(names::add);
        assertEquals(names, List.copyOf(m.keySet()));
        for (String k : names) {
            if (k.equals("nested")) {
                continue;
            }
            JsonNode e = expected.get(k);
            Tensor t = (Tensor) m.get(k);
            assertEquals(e.get("dtype").asText(), dtype(t), k);
            assertEquals(e.get("shape").toString(), JSON.writeValueAsString(t.shape()), k);
            assertEquals(e.get("stride").toString(), JSON.writeValueAsString(strides(t)), k);
            if (Tensors.hasType(t, ScalarType.Long)) {
                long[] v = Tensors.toLongs(t);
                for (int i = 0; i < v.length; i++) {
                    assertEquals(e.get("values").get(i).asLong(), v[i], k);
                }
            } else {
                double[] v = Tensors.toDoubles(t);
                assertEquals(e.get("values").size(), v.length, k);
                for (int i = 0; i < v.length; i++) {
                    assertEquals(e.get("values").get(i).asDouble(), v[i], 0.0, k);
                }
            }
        }
        assertEquals(1, ((Tensor) m.get("i64_tail")).storage_offset());
        assertEquals(3, ((Tensor) m.get("view_offset")).storage_offset());
        assertEquals(0, ((Tensor) m.get("scalar")).dim());
        Map<Object, Object> nested = (Map<Object, Object>) m.get("nested");
        assertEquals(List.of(1L, "two", 3.0, Pickle.NONE, true), nested.get("list"));
        assertEquals(1L << 40, nested.get("big_int"));
        assertEquals(-5L, nested.get("neg"));
        assertEquals("gr\u00fc\u00dfe", nested.get("name"));
        // Views share memory with their base, as in PyTorch (in the tar file also through the storage view).
        ((Tensor) m.get("base")).select(0, 6).fill_(Tensors.s(99.0));
        assertEquals(99.0, Tensors.toDoubles((Tensor) m.get("view_offset"))[3]);
        assertEquals(99.0, Tensors.toDoubles((Tensor) m.get("view_t"))[7]);
        if (layout.equals("tar")) {
            assertEquals(99.0, Tensors.toDoubles((Tensor) m.get("in_view"))[1]);
            assertArrayEquals(new double[] {7.5, -0.25}, Tensors.toDoubles((Tensor) m.get("cuda_saved")));  // saved on cuda:0
        }
    }

    @Test
    void hostileLegacyFilesAreRefusedNamingTheGlobal() {
        IOException e = assertThrows(IOException.class, () -> TorchFile.load(Fixtures.path("hostile_legacy_os_system.pth")));
        assertTrue(e.getMessage().contains("refusing to load global 'os.system'"), e.getMessage());
        assertTrue(e.getMessage().contains("hostile_legacy_os_system.pth"), e.getMessage());
        e = assertThrows(IOException.class, () -> TorchFile.load(Fixtures.path("hostile_legacy_tar_eval.pth")));
        assertTrue(e.getMessage().contains("refusing to load global 'builtins.eval'"), e.getMessage());
        assertTrue(e.getMessage().contains("hostile_legacy_tar_eval.pth (tar member pickle)"), e.getMessage());
    }

    /** Cut anywhere before its last meaningful byte, a file is an IOException naming it; nothing else escapes. */
    @ParameterizedTest
    @ValueSource(strings = {"tv_r50_w4_legacy_tar.pth", "tv_r50_w4_legacy.pth", "tv_r50_w4_zip.pth",
            "legacy_kitchen_tar.pth", "legacy_kitchen.pth"})
    void truncatedFilesGiveIOExceptionsNamingTheFile(String name, @TempDir Path tmp) throws IOException {
        byte[] full = Files.readAllBytes(Fixtures.path(name));
        int end = full.length;
        while (end > 0 && full[end - 1] == 0) {
            end--;                                       // a tar ends in zero blocks, which may be cut off
        }
        List<Integer> cuts = new ArrayList<>(List.of(0, 1, 2, 10, 30, 100, 511, 512, 513, 700, 1024, 1100, 1536, 2000));
        for (int k = 1; k < 16; k++) {
            cuts.add((int) ((long) end * k / 16));
        }
        cuts.add(end - 8);
        cuts.add(end - 1);
        Path cut = tmp.resolve("cut_" + name);
        int refused = 0;
        for (int n : cuts) {
            if (n < 0 || n >= end) {
                continue;
            }
            Files.write(cut, java.util.Arrays.copyOf(full, n));
            try {
                TorchFile.load(cut);
                fail(name + " cut at " + n + " of " + full.length + " bytes loaded");
            } catch (IOException e) {
                assertTrue(e.getMessage().contains(cut.toString()), n + ": " + e.getMessage());
                refused++;
            }
        }
        assertTrue(refused >= 20, "cuts tried: " + refused);
        if (name.contains("tar") && end < full.length) {
            // The tar without its end-of-archive blocks still loads, as with Python's tarfile.
            Files.write(cut, java.util.Arrays.copyOf(full, end));
            assertFalse(((Map<?, ?>) TorchFile.load(cut)).isEmpty());
        }
    }

    /** Bytes flipped at random places: the load succeeds or fails with an IOException naming the file. */
    @ParameterizedTest
    @ValueSource(strings = {"legacy_kitchen_tar.pth", "legacy_kitchen.pth"})
    void corruptedFilesNeverEscapeAsRuntimeExceptions(String name, @TempDir Path tmp) throws IOException {
        byte[] full = Files.readAllBytes(Fixtures.path(name));
        Random rnd = new Random(7);
        Path bad = tmp.resolve("bad_" + name);
        int refused = 0;
        for (int trial = 0; trial < 300; trial++) {
            byte[] b = full.clone();
            for (int k = 0; k < 1 + trial % 3; k++) {
                int at = rnd.nextInt(Math.min(b.length, 12_000));
                b[at] = (byte) (trial % 2 == 0 ? rnd.nextInt(256) : b[at] ^ 0x80);
            }
            Files.write(bad, b);
            try {
                TorchFile.load(bad);
            } catch (IOException e) {
                assertTrue(e.getMessage().contains(bad.toString()), e.getMessage());
                refused++;
            } catch (RuntimeException e) {
                throw new AssertionError("trial " + trial + " escaped as " + e, e);
            }
        }
        assertTrue(refused > 50, "refused " + refused);
    }

    @Test
    void bigEndianFilesAndWrongMagicAreRefused(@TempDir Path tmp) throws IOException {
        byte[] magic = {(byte) 0x80, 2, (byte) 0x8a, 10, 0x6c, (byte) 0xfc, (byte) 0x9c, 0x46, (byte) 0xf9, 0x20, 0x6a,
            (byte) 0xa8, 0x50, 0x19, '.'};
        byte[] version = {(byte) 0x80, 2, 'M', (byte) 0xe9, 3, '.'};
        byte[] sysInfo = concat(new byte[] {(byte) 0x80, 2, '}', '(', 'X', 13, 0, 0, 0},
                "little_endian".getBytes(StandardCharsets.US_ASCII), new byte[] {(byte) 0x89, 'u', '.'});
        Path big = tmp.resolve("big.pth");
        Files.write(big, concat(magic, version, sysInfo));
        IOException e = assertThrows(IOException.class, () -> TorchFile.load(big));
        assertEquals(big + " was saved on a big-endian machine; only little-endian files are supported", e.getMessage());
        magic[5] = 0;
        Path other = tmp.resolve("other.pth");
        Files.write(other, concat(magic, version, sysInfo));
        e = assertThrows(IOException.class, () -> TorchFile.load(other));
        assertEquals(other + " is not a PyTorch checkpoint (a pickle without PyTorch's magic number)", e.getMessage());
    }

    private static byte[] concat(byte[]... parts) {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        for (byte[] p : parts) {
            out.writeBytes(p);
        }
        return out.toByteArray();
    }

    private static long[] strides(Tensor t) {
        long[] out = new long[(int) t.dim()];
        for (int d = 0; d < out.length; d++) {
            out[d] = t.stride(d);
        }
        return out;
    }

    static String sha256(Tensor t) {
        Tensor c = t.contiguous();
        long n = c.numel() * c.element_size();
        byte[] b = new byte[(int) n];
        if (n > 0) {
            new BytePointer(c.data_ptr()).capacity(n).get(b);
        }
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
