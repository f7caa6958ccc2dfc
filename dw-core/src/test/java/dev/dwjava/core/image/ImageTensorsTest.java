package dev.dwjava.core.image;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import dev.dwjava.core.runtime.TensorScope;
import dev.dwjava.core.runtime.Torch;
import dev.dwjava.core.tensor.Tensors;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.global.torch.ScalarType;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The one-pass pixel path ({@link ImageTensors#prepare}, {@link ImageTensors#prepareInto}) against the libtorch ops it
 * replaces: 8-bit resize, byte tensor to float (3, H, W), {@code flip}, {@code sub(mean).div(std)}, zero padding with
 * {@code copy_}. Bit-identical floats are required.
 */
class ImageTensorsTest {
    @BeforeAll
    static void init() {
        Torch.init();
    }

    private static RgbImage random(int w, int h, long seed) {
        byte[] px = new byte[3 * w * h];
        new Random(seed).nextBytes(px);
        return new RgbImage(w, h, px);
    }

    /** The previous implementation, op by op. */
    private static Tensor reference(RgbImage image, int w, int h, boolean flip) {
        Tensor t = ImageTensors.fromImage(OpenCvResize.resize(image, w, h));
        if (flip) {
            t = ImageTensors.flipHorizontal(t);
        }
        return ImageTensors.normalize(t).contiguous();
    }

    @Test
    void prepareEqualsTheOpsBitForBit() {
        // upscale (as training: 4:3 to 1067x800, smaller here), downscale, identity, exact halving, odd sizes
        int[][] cases = {{64, 48, 107, 80}, {97, 61, 40, 25}, {33, 17, 33, 17}, {40, 30, 20, 15}, {5, 3, 13, 2}};
        try (TensorScope scope = TensorScope.open()) {
            for (int[] c : cases) {
                RgbImage img = random(c[0], c[1], c[0] * 31L + c[2]);
                for (boolean flip : new boolean[] {false, true}) {
                    Tensor got = ImageTensors.prepare(img, c[2], c[3], flip);
                    assertArrayEquals(new long[] {3, c[3], c[2]}, got.shape());
                    assertArrayEquals(Tensors.toFloats(reference(img, c[2], c[3], flip)), Tensors.toFloats(got),
                            c[0] + "x" + c[1] + " -> " + c[2] + "x" + c[3] + " flip " + flip);
                }
            }
        }
    }

    @Test
    void prepareIntoFillsItsSlotAndPadsWithZerosAsPadBatch() {
        try (TensorScope scope = TensorScope.open()) {
            int[][] sizes = {{70, 50}, {41, 64}, {96, 33}};
            List<Tensor> refs = new ArrayList<>();
            // garbage first: prepareInto must write every element of its slot, padding included
            Tensor batch = Tensors.full(Tensors.empty(new TensorOptions(ScalarType.Float), 1), 7.5, 3, 3, 64, 96);
            for (int b = 0; b < sizes.length; b++) {
                RgbImage img = random(57, 43, b);
                boolean flip = b == 1;
                refs.add(reference(img, sizes[b][0], sizes[b][1], flip));
                ImageTensors.prepareInto(img, sizes[b][0], sizes[b][1], flip, batch, b);
            }
            Tensor expected = ImageTensors.padBatch(refs, 32);
            assertArrayEquals(expected.shape(), batch.shape());
            assertArrayEquals(Tensors.toFloats(expected), Tensors.toFloats(batch));
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> ImageTensors.prepareInto(random(8, 8, 0), 97, 10, false, batch, 0));
            assertEquals("cannot write a 97x10 image into slot 0 of a [3, 3, 64, 96] Float tensor: need a contiguous"
                    + " float CPU (B, 3, H, W) batch large enough", e.getMessage());
        }
    }
}
