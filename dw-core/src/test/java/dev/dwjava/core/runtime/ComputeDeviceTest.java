package dev.dwjava.core.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.Test;

class ComputeDeviceTest {
    @Test
    void parsesTheThreeForms() {
        assertEquals(ComputeDevice.CPU, ComputeDevice.parse(null));
        assertEquals(ComputeDevice.CPU, ComputeDevice.parse(" CPU "));
        assertEquals(new ComputeDevice(true, -1), ComputeDevice.parse("cuda"));
        assertEquals(new ComputeDevice(true, 3), ComputeDevice.parse("cuda:3"));
        assertEquals("cuda:3", ComputeDevice.parse("cuda:3").toString());
        for (String bad : new String[] {"gpu", "cuda:", "cuda:-1", "cuda:x"}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ComputeDevice.parse(bad));
            assertTrue(e.getMessage().contains("'" + bad + "'"), e.getMessage());
        }
    }

    @Test
    void localRankPicksTheGpuOnlyWhenNoIndexWasGiven() {
        assertEquals(new ComputeDevice(true, 2), ComputeDevice.parse("cuda").forLocalRank(2));
        assertEquals(new ComputeDevice(true, 0), ComputeDevice.parse("cuda:0").forLocalRank(2));
        assertEquals(ComputeDevice.CPU, ComputeDevice.CPU.forLocalRank(2));
    }

    @Test
    void aMissingGpuIsAClearError() {
        Torch.init();
        assertTrue(ComputeDevice.CPU.requireAvailable().torchDevice().is_cpu());
        if (!torch.cuda_is_available()) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ComputeDevice.parse("cuda").requireAvailable());
            assertTrue(e.getMessage().contains("libtorch sees no CUDA device"), e.getMessage());
        } else {
            assertFalse(ComputeDevice.parse("cuda").requireAvailable().torchDevice().is_cpu());
        }
    }
}
