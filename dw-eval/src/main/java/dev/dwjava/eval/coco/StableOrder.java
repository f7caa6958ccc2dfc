package dev.dwjava.eval.coco;

/**
 * The permutation that sorts scores in descending order, ties in index order: numpy's {@code argsort(-s,
 * kind='mergesort')}, which pycocotools uses, on primitive arrays (a merge sort, insertion sort for short runs).
 */
final class StableOrder {
    private static final int SHORT = 24;

    private StableOrder() {}

    /** Indices 0..n−1 of {@code keys} by descending key; equal keys keep their index order. */
    static int[] descending(double[] keys, int n) {
        int[] idx = new int[n], tmp = new int[n];
        for (int i = 0; i < n; i++) {
            idx[i] = i;
        }
        sort(keys, idx, tmp, 0, n);
        return idx;
    }

    private static void sort(double[] keys, int[] idx, int[] tmp, int lo, int hi) {
        if (hi - lo <= SHORT) {
            for (int i = lo + 1; i < hi; i++) {
                int v = idx[i];
                int j = i - 1;
                while (j >= lo && keys[idx[j]] < keys[v]) {   // only a strictly smaller key moves right: stable
                    idx[j + 1] = idx[j];
                    j--;
                }
                idx[j + 1] = v;
            }
            return;
        }
        int mid = (lo + hi) >>> 1;
        sort(keys, idx, tmp, lo, mid);
        sort(keys, idx, tmp, mid, hi);
        if (keys[idx[mid - 1]] >= keys[idx[mid]]) {
            return;   // the halves are already in order
        }
        System.arraycopy(idx, lo, tmp, lo, hi - lo);
        int i = lo, j = mid, o = lo;
        while (i < mid && j < hi) {
            idx[o++] = keys[tmp[j]] > keys[tmp[i]] ? tmp[j++] : tmp[i++];   // the left one on ties
        }
        while (i < mid) {
            idx[o++] = tmp[i++];
        }
        while (j < hi) {
            idx[o++] = tmp[j++];
        }
    }
}
