package dev.dwjava.model.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import dev.dwjava.core.runtime.TensorScope;
import dev.dwjava.core.runtime.Torch;
import dev.dwjava.core.tensor.Tensors;
import dev.dwjava.model.Fixtures;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** .npy files written by NumPy 1.24 (make with np.save) read back, and ours are byte-identical to NumPy's. */
class NpyTest {

    @BeforeAll
    static void init() {
        Torch.init();
    }

    @Test
    void readsAndWritesExactlyAsNumpy(@TempDir Path tmp) throws IOException {
        try (TensorScope scope = TensorScope.open()) {
            String[] names = {"numpy_f32_2x3.npy", "numpy_i64_3.npy", "numpy_f64_scalar.npy"};
            long[][] shapes = {{2, 3}, {3}, {}};
            double[][] values = {{0, 1, 2, 3, 4, 5}, {0, 1, 2}, {2.5}};
            for (int k = 0; k < names.length; k++) {
                Tensor t = Npy.read(Fixtures.path(names[k]));
                assertArrayEquals(shapes[k], t.shape(), names[k]);
                assertArrayEquals(values[k], Tensors.toDoubles(t), names[k]);
                Path ours = tmp.resolve(names[k]);
                Npy.write(ours, t);
                assertArrayEquals(Files.readAllBytes(Fixtures.path(names[k])), Files.readAllBytes(ours), names[k]);
            }
        }
    }

    @Test
    void badFilesAreNamed(@TempDir Path tmp) throws IOException {
        Path junk = tmp.resolve("junk.npy");
        Files.writeString(junk, "not numpy");
        IOException e = assertThrows(IOException.class, () -> Npy.read(junk));
        assertTrue(e.getMessage().equals(junk + " is not a .npy file (bad magic)"), e.getMessage());
    }
}
