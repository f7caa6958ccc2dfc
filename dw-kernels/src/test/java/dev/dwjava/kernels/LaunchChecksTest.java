package dev.dwjava.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;

import dev.dwjava.core.ScopedTensors;
import dev.dwjava.core.dw.DwAssignment;
import dev.dwjava.core.tensor.Tensors;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch.ScalarType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * What fails on real hardware, checked without one: block sizes against each kernel's limit, tensors on the wrong
 * device or of the wrong element type before a launch, and the decision to fall back to libtorch when the module
 * cannot load.
 */
@ExtendWith(ScopedTensors.class)
class LaunchChecksTest {
    /** The launch bounds of dw_compat.cuh as the kernel list assigns them (DW_MAX_BLOCK unless named here). */
    private static final Map<String, Integer> BOUNDS = Map.of(
            "dw_gt_weights_f64", 512, "dw_nms_mask_f32", 64, "dw_nms_mask_f64", 64);

    @Test
    void everyKernelOfTheHostRegistryHasItsLaunchBoundAsLimit() {
        HostKernelLauncher host = HostKernels.launcher(32);
        assertEquals(Kernels.NAMES, HostKernelLauncher.kernelNames(), "Kernels.NAMES follows dw_kernel_list.h");
        for (String kernel : Kernels.NAMES) {
            int bound = BOUNDS.getOrDefault(kernel, 1024);
            assertEquals(bound, host.maxThreads(kernel), kernel);
        }
        assertThrows(KernelException.class, () -> host.maxThreads("dw_missing"));
    }

    @Test
    void theDefaultBlockIsCappedAndAnExplicitOneAboveTheLimitIsRefused() {
        HostKernelLauncher wide = HostKernels.launcher(1024);
        for (String kernel : Kernels.NAMES) {
            int limit = wide.maxThreads(kernel);
            assertEquals(Math.min(1024, limit), wide.blockFor(kernel, 0), kernel + ": the default, capped");
            assertEquals(limit, wide.blockFor(kernel, limit), kernel + ": the limit itself is allowed");
            if (limit < 1024) {
                IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> wide.blockFor(kernel, 1024));
                assertTrue(e.getMessage().contains("block 1024 exceeds the limit of " + kernel + ", " + limit
                        + " threads per block"), e.getMessage());
            }
        }
        assertEquals(512, KernelLauncher.chooseBlock("k", 768, 0, 1024), "a capped default stays a power of two");
        assertEquals(256, KernelLauncher.chooseBlock("k", 1024, 0, 256));
        assertThrows(IllegalArgumentException.class, () -> KernelLauncher.validRequest(48));
    }

    /** float64 at block 1024 needs more registers than a GPU has for dw_gt_weights_f64: refused before any launch. */
    @Test
    void theWeightingAtAnExplicit1024ThreadsIsRefusedInFloat64AndRunsWithTheDefault() {
        RandomInputs.DwInputs in = RandomInputs.dw(3, 128, 160, 5, 4, ScalarType.Double);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new KernelDwAssigner(HostKernels.launcher(32), 1024).assign(in.points(), in.predictions(), in.gt()));
        assertTrue(e.getMessage().contains("exceeds the limit of dw_gt_weights_f64, 512"), e.getMessage());
        // With a default of 1024 the weighting kernel runs at 512 and the others at 1024; the result is the libtorch one.
        DwAssignment capped = new KernelDwAssigner(HostKernels.launcher(1024)).assign(in.points(), in.predictions(), in.gt());
        KernelDwAssignerTest.assertSame(new dev.dwjava.core.dw.TorchDwAssigner().assign(in.points(), in.predictions(), in.gt()),
                capped, 1e-12);
    }

    @Test
    void aCpuTensorHandedToTheCudaLauncherIsRefusedBeforeAnyCudaCall() {
        Tensor xy = Tensors.of(new double[] {4, 4}, ScalarType.Float, 1, 2);
        try (KernelArgs args = new KernelArgs().tensor("xy", xy, ScalarType.Float).i64(1)) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> CudaKernelLauncher.preflight("dw_count_inside_f32", args));
            assertEquals("kernel dw_count_inside_f32: argument xy is on cpu, but the CUDA launcher needs every tensor on one "
                    + "CUDA device", e.getMessage());
        }
        try (KernelArgs none = new KernelArgs().i64(1)) {
            assertThrows(IllegalArgumentException.class, () -> CudaKernelLauncher.preflight("dw_count_inside_f32", none));
        }
    }

    @Test
    void everyTensorArgumentIsCheckedForItsElementType() {
        Tensor labels = Tensors.of(new double[] {1, 2}, ScalarType.Float, 2);
        try (KernelArgs args = new KernelArgs()) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> args.tensor("gt labels", labels, ScalarType.Long));
            assertEquals("kernel argument gt labels must be int64 but is float32 (shape [2])", e.getMessage());
        }
    }

    @Test
    void theHostLauncherRefusesTensorsThatAreNotOnTheCpu() {
        // No CUDA tensor exists here; the refusal is the same check with the roles swapped, so test its message shape
        // through a meta tensor, which is neither CPU nor CUDA.
        Tensor meta = Tensors.empty(new org.bytedeco.pytorch.TensorOptions().device(new org.bytedeco.pytorch.DeviceOptional(
                        new org.bytedeco.pytorch.Device(org.bytedeco.pytorch.global.torch.DeviceType.Meta))).dtype(
                        new org.bytedeco.pytorch.ScalarTypeOptional(ScalarType.Float)), 2);
        try (KernelArgs args = new KernelArgs().tensor("out", meta, ScalarType.Float)) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> HostKernels.launcher(32).launch("dw_probe_divergent_barrier", 1, 1, 32, args));
            assertTrue(e.getMessage().contains("argument out is on meta, but the host launcher runs on CPU tensors"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> CudaKernelLauncher.preflight("dw_probe_divergent_barrier", args));
            assertTrue(e.getMessage().contains("argument out is on meta"), e.getMessage());
        }
    }

    @Test
    void withoutAGpuNothingIsLoadedAndNothingIsSaid() {
        Kernels.CudaChoice c = Kernels.decide(false, () -> {
            throw new AssertionError("the fatbin is not read without a GPU");
        }, fatbin -> {
            throw new AssertionError("nothing is loaded without a GPU");
        }, 0, () -> true);
        assertTrue(c.launcher().isEmpty());
        assertNull(c.reason());
    }

    @Test
    void aJarWithoutFatbinFallsBackAndSaysWhy() {
        Kernels.CudaChoice c = Kernels.decide(true, () -> null, fatbin -> {
            throw new AssertionError("nothing to load");
        }, 0, () -> true);
        assertTrue(c.launcher().isEmpty());
        assertTrue(c.reason().contains("built without nvcc") && c.reason().contains("libtorch implementations run instead"), c.reason());
    }

    @Test
    void aModuleThatDoesNotLoadFallsBackWithTheDriversReason() {
        Kernels.CudaChoice c = Kernels.decide(true, () -> new byte[16], fatbin -> {
            throw new KernelException("cuModuleLoadData(dw_kernels.fatbin) on device 1 failed: CUDA_ERROR_NO_BINARY_FOR_GPU "
                    + "(no kernel image is available for execution on the device)");
        }, 1, () -> true);
        assertTrue(c.launcher().isEmpty());
        assertEquals("dw-kernels cannot load its CUDA kernels on cuda:1 (cuModuleLoadData(dw_kernels.fatbin) on device 1 failed: "
                + "CUDA_ERROR_NO_BINARY_FOR_GPU (no kernel image is available for execution on the device)): the libtorch "
                + "implementations run instead", c.reason());
        Kernels.CudaChoice noDriver = Kernels.decide(true, () -> new byte[16], fatbin -> {
            throw new UnsatisfiedLinkError("no jnicudart in java.library.path");
        }, 0, () -> true);
        assertTrue(noDriver.launcher().isEmpty() && noDriver.reason().contains("no jnicudart"), noDriver.reason());
    }

    @Test
    void aJarWithoutTheHostLibraryFallsBackAndSaysWhy() {
        Kernels.CudaChoice c = Kernels.decide(true, () -> new byte[16], fatbin -> {
            throw new AssertionError("not loaded without the launch layer");
        }, 0, () -> false);
        assertTrue(c.launcher().isEmpty());
        assertTrue(c.reason().contains("not its host library"), c.reason());
    }

    /** The shared launch layer's plan for three images with 2, 0 and 3 GTs, as both executors receive it. */
    @Test
    void theLaunchLayerPlansTheWeightingOfABatch() {
        HostKernels.launcher(32);
        String request = "100 7 3 0 2 2 5 1 2 3 4 0.5 6 1e-12";
        LaunchPlan first = LaunchPlan.weighting(request);
        assertArrayEquals(new long[] {0, 0, 2, 2, 2, 2, 2, 5, 5, 5, 0, 2, 2, 5}, first.layout, "gt_image, gt_end, image_gt_begin");
        assertEquals(10, first.counts);
        assertEquals(1, first.launches.size());
        assertEquals("dw_count_inside", first.launches.get(0).family());
        assertEquals(5, first.launches.get(0).gridX());
        // inside counts 4, 1 | 6, 0, 2 and kept counts 3, 1 | 5, 0, 2
        LaunchPlan plan = LaunchPlan.weighting(request + " 4 1 6 0 2 3 1 5 0 2");
        assertEquals(List.of("dw_collect_pairs", "dw_gt_weights", "dw_neg_keep", "dw_neg_compact"),
                plan.launches.stream().map(LaunchPlan.Launch::family).toList());
        assertEquals(List.of(new LaunchPlan.Image(0, 2, 0, 5, 4), new LaunchPlan.Image(2, 0, 5, 0, 0),
                new LaunchPlan.Image(2, 3, 5, 8, 7)), plan.images);
        assertEquals(3 * 13 + 5, plan.longs);
        assertEquals(4 * 13 + 2 * 5 + 3, plan.reals);
        assertEquals(13, plan.launches.get(2).perThread(), "neg_keep: one thread per pair");
        assertEquals(3, plan.launches.get(3).gridX(), "neg_compact: one block per image");
        KernelException e = assertThrows(KernelException.class, () -> LaunchPlan.weighting("100 7 3 0 2"));
        assertTrue(e.getMessage().startsWith("launch plan: bad plan request"), e.getMessage());
    }

    @Test
    void aModuleThatLoadsIsUsed() {
        KernelLauncher loaded = HostKernels.launcher(32);
        Kernels.CudaChoice c = Kernels.decide(true, () -> new byte[16], fatbin -> loaded, 0, () -> true);
        assertSame(loaded, c.launcher().orElseThrow());
    }
}
