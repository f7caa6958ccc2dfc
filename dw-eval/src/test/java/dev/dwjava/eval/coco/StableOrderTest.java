package dev.dwjava.eval.coco;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import java.util.Arrays;
import java.util.Random;

import org.junit.jupiter.api.Test;

/** {@link StableOrder} against Java's stable object sort (numpy's mergesort order) on scores with many ties. */
class StableOrderTest {
    @Test
    void descendingWithTiesInIndexOrder() {
        assertArrayEquals(new int[] {1, 3, 0, 2, 4}, StableOrder.descending(new double[] {0.5, 0.9, 0.5, 0.9, 0.1}, 5));
        assertArrayEquals(new int[0], StableOrder.descending(new double[0], 0));
        Random r = new Random(3);
        for (int n : new int[] {1, 7, 24, 25, 100, 1000, 4097}) {
            double[] keys = new double[n];
            for (int i = 0; i < n; i++) {
                keys[i] = r.nextInt(n / 4 + 1) / 8.0;   // many equal scores
            }
            Integer[] expected = new Integer[n];
            for (int i = 0; i < n; i++) {
                expected[i] = i;
            }
            Arrays.sort(expected, (a, b) -> Double.compare(keys[b], keys[a]));   // TimSort: stable
            assertArrayEquals(Arrays.stream(expected).mapToInt(Integer::intValue).toArray(), StableOrder.descending(keys, n),
                    "n = " + n);
        }
    }
}
