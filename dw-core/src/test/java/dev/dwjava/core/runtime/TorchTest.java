package dev.dwjava.core.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.Test;

class TorchTest {

    @Test
    void initLoadsOnceAndReportsVersions() {
        RuntimeInfo info = Torch.init();
        assertSame(info, Torch.init());
        assertTrue(info.pytorchVersion().startsWith("2.13.0"), info.toString());
        assertEquals("linux-x86_64", info.platform());
        assertEquals(torch.get_num_threads(), info.threads());
        assertTrue(info.threads() >= 1);
    }

    @Test
    void threadSettingIsValidated() {
        String old = System.getProperty("dw.threads");
        try {
            System.setProperty("dw.threads", "3");
            assertEquals(3, Torch.configuredThreads());
            System.setProperty("dw.threads", "zero");
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, Torch::configuredThreads);
            assertEquals("dw.threads / DW_THREADS must be a positive integer, found 'zero'", e.getMessage());
        } finally {
            if (old == null) {
                System.clearProperty("dw.threads");
            } else {
                System.setProperty("dw.threads", old);
            }
        }
    }
}
