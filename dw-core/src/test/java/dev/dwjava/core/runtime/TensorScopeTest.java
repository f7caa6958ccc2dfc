package dev.dwjava.core.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.dwjava.core.tensor.Tensors;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Native memory stays flat when each iteration runs in its own scope. */
class TensorScopeTest {

    @BeforeAll
    static void init() {
        Torch.init();
    }

    private static double step() {
        try (TensorScope scope = TensorScope.open()) {
            Tensor a = torch.rand(256, 256);                      // 256 KiB per tensor
            Tensor b = a.matmul(a).add(Tensors.s(1.0)).sigmoid();
            return b.sum().item_double();
        }
    }

    @Test
    void thousandScopedIterationsKeepNativeMemoryFlat() {
        for (int k = 0; k < 100; k++) {
            step();                                                // warm-up: allocator caches, oneDNN primitives
        }
        long objects = NativeMemory.liveNativeObjects();
        long rss = NativeMemory.offHeapResidentBytes();
        for (int k = 0; k < 1000; k++) {
            step();
        }
        long grownObjects = NativeMemory.liveNativeObjects() - objects;
        long grownRss = NativeMemory.offHeapResidentBytes() - rss;
        // Without scopes 1,000 iterations would hold ≥ 4,000 tensors (~1 GiB); with them nothing survives.
        assertTrue(grownObjects <= 0, "live native objects grew by " + grownObjects);
        assertTrue(grownRss < 64L << 20, "resident memory grew by " + (grownRss >> 20) + " MiB");
    }

    @Test
    void handedOutTensorsSurviveTheInnerScopeOnly() {
        Tensor kept;
        Tensor freed;
        try (TensorScope outer = TensorScope.open()) {
            try (TensorScope inner = TensorScope.open()) {
                freed = torch.ones(3);
                kept = inner.handOut(torch.ones(3).mul(Tensors.s(2.0)));
            }
            assertTrue(freed.isNull(), "a tensor made in the inner scope is freed when it closes");
            assertFalse(kept.isNull());
            assertEquals(6.0, kept.sum().item_double());
        }
        assertTrue(kept.isNull(), "the outer scope frees what was handed out to it");
    }
}
