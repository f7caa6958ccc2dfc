package dev.dwjava.train.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code torchvision://resnetN} resolves to torchvision's V1 files by their exact names, never another hash. */
class PretrainedWeightsTest {

    private static Path touch(Path dir, String name) throws IOException {
        Files.createDirectories(dir);
        return Files.writeString(dir.resolve(name), "x");
    }

    @Test
    void v1NamesAreFoundLegacyFirstAndV2IsNeverTaken(@TempDir Path tmp) throws IOException {
        Path a = tmp.resolve("a"), b = tmp.resolve("b");
        Path zip = touch(b, "resnet50-0676ba61.pth");
        assertEquals(zip, PretrainedWeights.resolve("torchvision://resnet50", List.of(a, b)));
        Path legacy = touch(b, "resnet50-19c8e357.pth");
        assertEquals(legacy, PretrainedWeights.resolve("torchvision://resnet50", List.of(a, b)));
        // A V2 file sorts before the legacy V1 name ("11ad" < "19c8") and sits in an earlier directory: V1 still wins.
        touch(a, "resnet50-11ad3fa6.pth");
        assertEquals(legacy, PretrainedWeights.resolve("torchvision://resnet50", List.of(a, b)));
        for (String[] arch : new String[][] {{"resnet18", "resnet18-5c106cde.pth"}, {"resnet34", "resnet34-b627a593.pth"},
            {"resnet101", "resnet101-5d3b4d8f.pth"}}) {
            Path p = touch(tmp.resolve(arch[0]), arch[1]);
            assertEquals(p, PretrainedWeights.resolve("torchvision://" + arch[0], List.of(tmp.resolve(arch[0]))));
        }
    }

    @Test
    void v2OrUnknownHashesAreRefusedNamingTheFile(@TempDir Path tmp) throws IOException {
        Path v2 = touch(tmp, "resnet101-cd907fc2.pth");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> PretrainedWeights.resolve("torchvision://resnet101", List.of(tmp)));
        assertTrue(e.getMessage().startsWith("runtime.pretrained: torchvision://resnet101 found " + v2
                + ", but it holds torchvision's IMAGENET1K_V2 weights, which differ from the V1 weights the DW recipe was"
                + " trained from (docs/DW_SPEC.md §1.1). Accepted: resnet101-5d3b4d8f.pth or resnet101-63fe2227.pth"), e.getMessage());
        Path odd = touch(tmp, "resnet18-deadbeef.pth");
        e = assertThrows(IllegalArgumentException.class, () -> PretrainedWeights.resolve("torchvision://resnet18", List.of(tmp)));
        assertTrue(e.getMessage().contains("found " + odd + ", but its hash is not one of torchvision's V1 resnet18 files"),
                e.getMessage());
        assertTrue(e.getMessage().contains("Accepted: resnet18-5c106cde.pth or resnet18-f37072fd.pth"), e.getMessage());
    }

    @Test
    void missingOrUnsupportedSpecsSayWhatToDo(@TempDir Path tmp) throws IOException {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> PretrainedWeights.resolve("torchvision://resnet50", List.of(tmp.resolve("none"))));
        assertTrue(e.getMessage().contains("needs torchvision's V1 ImageNet weights, resnet50-19c8e357.pth or"
                + " resnet50-0676ba61.pth, in one of [" + tmp.resolve("none") + "]"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> PretrainedWeights.resolve("torchvision://resnet152", List.of(tmp)));
        assertTrue(e.getMessage().contains("torchvision://resnet152 is not supported"), e.getMessage());
        Path own = touch(tmp, "my_backbone.pth");
        assertEquals(own, PretrainedWeights.resolve(own.toString(), List.of()));
    }

    @Test
    void thePropertyDirectoryIsSearchedFirst(@TempDir Path tmp) {
        String old = System.getProperty("dw.pretrained.dir");
        try {
            System.setProperty("dw.pretrained.dir", tmp.toString());
            assertEquals(tmp, PretrainedWeights.searchDirs().get(0));
            assertTrue(PretrainedWeights.searchDirs().get(PretrainedWeights.searchDirs().size() - 1)
                    .endsWith(Path.of(".cache", "torch", "hub", "checkpoints")));
        } finally {
            if (old == null) {
                System.clearProperty("dw.pretrained.dir");
            } else {
                System.setProperty("dw.pretrained.dir", old);
            }
        }
    }
}
