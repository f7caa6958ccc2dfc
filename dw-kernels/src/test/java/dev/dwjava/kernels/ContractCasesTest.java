package dev.dwjava.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.UnaryOperator;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import dev.dwjava.core.ScopedTensors;
import dev.dwjava.core.dw.DwAssignment;
import dev.dwjava.core.tensor.Tensors;
import org.bytedeco.pytorch.BoolOptional;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch.ScalarType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The committed contract cases, which the standalone GPU harness runs too: every case passes on the host build of the
 * kernels, every stored expectation is what the libtorch implementation computes from the stored inputs, and the set of
 * files is exactly the generator's. Regenerate with
 * {@code mvn -pl dw-kernels test -Dtest=ContractCasesTest#regenerate -Ddw.kernels.writeContract=true}.
 */
@ExtendWith(ScopedTensors.class)
class ContractCasesTest {
    private static final Path DIR = Path.of(ContractCases.RESOURCE_DIR);

    static Stream<Path> files() throws IOException {
        try (Stream<Path> s = Files.list(DIR)) {
            return s.filter(p -> p.toString().endsWith(".dwcase")).sorted().collect(Collectors.toList()).stream();
        }
    }

    @Test
    @EnabledIfSystemProperty(named = "dw.kernels.writeContract", matches = "true")
    void regenerate() throws IOException {
        Files.createDirectories(DIR);
        try (Stream<Path> old = Files.list(DIR)) {
            for (Path p : old.filter(p -> p.toString().endsWith(".dwcase")).collect(Collectors.toList())) {
                Files.delete(p);
            }
        }
        for (ContractCase c : ContractCases.all()) {
            c.write(DIR.resolve(c.name + ".dwcase"));
        }
    }

    @Test
    void theCommittedFilesAreExactlyTheGeneratorsCases() throws IOException {
        Set<String> committed = files().map(p -> p.getFileName().toString().replace(".dwcase", "")).collect(Collectors.toCollection(TreeSet::new));
        Set<String> generated = ContractCases.all().stream().map(c -> c.name).collect(Collectors.toCollection(TreeSet::new));
        assertEquals(generated, committed, "regenerate the contract cases (see this class's javadoc)");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("files")
    void storedExpectationsAreTheLibtorchResults(Path file) throws IOException {
        ContractCase stored = ContractCase.read(file);
        ContractCase fresh = new ContractCase(stored.name);
        stored.arrays.forEach((k, v) -> {
            if (!k.startsWith("expect_")) {
                fresh.put(k, v);
            }
        });
        recomputeExpectations(fresh);
        for (String key : stored.arrays.keySet()) {
            if (key.startsWith("expect_")) {
                assertClose(stored.get(key), fresh.get(key), tolerance(stored) / 10, stored.name + "." + key);
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("files")
    void hostBuildOfTheKernelsPasses(Path file) throws IOException {
        check(ContractCase.read(file), HostKernels.launcher(32), t -> t);
    }

    /**
     * Runs one case with {@code launcher} on inputs moved by {@code toDevice} and compares with the stored expectations
     * (also used by the GPU tests).
     */
    static void check(ContractCase c, KernelLauncher launcher, UnaryOperator<Tensor> toDevice) {
        double tol = tolerance(c);
        String kind = c.name.substring(0, c.name.indexOf('_'));
        UnaryOperator<Tensor> in = toDevice;
        switch (kind) {
            case "overlaps" -> {
                KernelBoxOverlaps k = new KernelBoxOverlaps(launcher);
                assertClose(c.get("expect_iou"), k.pairwiseIou(in.apply(c.get("a")), in.apply(c.get("b"))).cpu(), tol, "iou");
                assertClose(c.get("expect_giou"), k.pairwiseGiou(in.apply(c.get("a")), in.apply(c.get("b"))).cpu(), tol, "giou");
            }
            case "priors" -> {
                Tensor[] both = new KernelPairPriors(launcher).both(in.apply(c.get("xy")), in.apply(c.get("stride")), in.apply(c.get("boxes")));
                assertClose(c.get("expect_prior"), both[0].cpu(), tol, "prior");
                assertClose(c.get("expect_centerness"), both[1].cpu(), tol, "centerness");
            }
            case "nms" -> assertArrayEquals(Tensors.toLongs(c.get("expect_keep")), Tensors.toLongs(new KernelNms(launcher)
                    .batchedNms(in.apply(c.get("boxes")), in.apply(c.get("scores")), in.apply(c.get("labels")),
                            c.get("threshold").item_double()).cpu()), "kept");
            case "dw" -> {
                ContractCase moved = new ContractCase(c.name);
                c.arrays.forEach((key, v) -> moved.put(key, in.apply(v)));
                RandomInputs.DwInputs inputs = ContractCases.dwInputs(moved);
                DwAssignment a = new KernelDwAssigner(launcher).assign(inputs.points(), inputs.predictions(), inputs.gt());
                assertArrayEquals(Tensors.toLongs(c.get("expect_pair_point")), Tensors.toLongs(a.pairPoint().cpu()), "pair points");
                assertArrayEquals(Tensors.toLongs(c.get("expect_pair_gt")), Tensors.toLongs(a.pairGt().cpu()), "pair GTs");
                assertClose(c.get("expect_pos_weight"), a.posWeight().cpu(), tol, "pos weight");
                Tensor negIndex = a.negIndex().cpu(), negValue = a.negValue().cpu();
                Tensor order = negIndex.sort(new BoolOptional(true), 0, false).get1();
                assertArrayEquals(Tensors.toLongs(c.get("expect_neg_index")), Tensors.toLongs(negIndex.index_select(0, order)), "neg index");
                assertClose(c.get("expect_neg_value"), negValue.index_select(0, order), tol, "neg value");
                assertClose(c.get("expect_neg_factor"), a.negFactor().reshape(1).cpu(), tol * Math.max(1, order.numel()), "neg factor");
                assertArrayEquals(Tensors.toLongs(c.get("expect_inside_count")), Tensors.toLongs(a.diagnostics().insideCount().cpu()));
                assertArrayEquals(Tensors.toLongs(c.get("expect_num_good")), Tensors.toLongs(a.diagnostics().numIouAtLeastHalf().cpu()));
                assertClose(c.get("expect_max_iou"), a.diagnostics().maxIou().cpu(), tol, "max iou");
                assertClose(c.get("expect_sum_weight"), a.diagnostics().sumPosWeight().cpu(), tol * 10, "sum weight");
            }
            default -> throw new AssertionError("unknown case kind " + kind + " in " + c.name);
        }
    }

    private static void recomputeExpectations(ContractCase c) {
        String kind = c.name.substring(0, c.name.indexOf('_'));
        switch (kind) {
            case "overlaps" -> ContractCases.expectOverlaps(c);
            case "priors" -> ContractCases.expectPriors(c);
            case "nms" -> ContractCases.expectNms(c);
            case "dw" -> ContractCases.expectDw(c);
            default -> throw new AssertionError("unknown case kind " + kind);
        }
    }

    /** float32 cases: 2e-5 absolute (per-GT sums in a different order); float64: 1e-10. */
    private static double tolerance(ContractCase c) {
        for (Tensor t : c.arrays.values()) {
            if (Tensors.hasType(t, ScalarType.Float)) {
                return 2e-5;
            }
        }
        return 1e-10;
    }

    static void assertClose(Tensor expected, Tensor got, double tol, String what) {
        assertArrayEquals(expected.sizes().vec().get(), got.sizes().vec().get(), what + " shape");
        double[] e = Tensors.toDoubles(expected), g = Tensors.toDoubles(got);
        List<String> bad = new ArrayList<>();
        for (int i = 0; i < e.length && bad.size() < 5; i++) {
            boolean same = Double.isNaN(e[i]) ? Double.isNaN(g[i]) : Math.abs(e[i] - g[i]) <= tol;
            if (!same) {
                bad.add("[" + i + "] expected " + e[i] + " got " + g[i]);
            }
        }
        assertTrue(bad.isEmpty(), what + ": " + bad);
    }
}
