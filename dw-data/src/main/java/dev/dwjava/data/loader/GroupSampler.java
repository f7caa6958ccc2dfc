package dev.dwjava.data.loader;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;

/**
 * mmdetection's group sampler: images are split by orientation (w &gt; h vs w ≤ h); each group is shuffled with the
 * epoch's RNG and padded (by repeating its first images) to a multiple of the batch size; the batches are then
 * shuffled. Every batch holds one orientation. With {@code rank}/{@code world} the epoch's batches are dealt to ranks
 * without overlap (padded so that every rank gets the same number).
 */
public final class GroupSampler {
    private final boolean[] landscape;
    private final int batchSize;
    private final long seed;
    private final int rank, world;

    public GroupSampler(boolean[] landscape, int batchSize, long seed, int rank, int world) {
        if (batchSize <= 0 || world <= 0 || rank < 0 || rank >= world) {
            throw new IllegalArgumentException("bad sampler settings: batch " + batchSize + ", rank " + rank + " of " + world);
        }
        this.landscape = landscape.clone();
        this.batchSize = batchSize;
        this.seed = seed;
        this.rank = rank;
        this.world = world;
    }

    /** The batches (lists of dataset indices) of this rank in {@code epoch}. */
    public List<int[]> batches(int epoch) {
        Random r = new Random(seed * 1_000_003L + epoch);
        List<int[]> all = new ArrayList<>();
        for (boolean orientation : new boolean[] {false, true}) {
            List<Integer> group = new ArrayList<>();
            for (int i = 0; i < landscape.length; i++) {
                if (landscape[i] == orientation) {
                    group.add(i);
                }
            }
            if (group.isEmpty()) {
                continue;
            }
            Collections.shuffle(group, r);
            int size = group.size();
            for (int k = 0; group.size() % batchSize != 0; k++) {
                group.add(group.get(k % size));
            }
            for (int b = 0; b < group.size(); b += batchSize) {
                all.add(group.subList(b, b + batchSize).stream().mapToInt(Integer::intValue).toArray());
            }
        }
        Collections.shuffle(all, r);
        for (int k = 0; all.size() % world != 0; k++) {
            all.add(all.get(k));
        }
        List<int[]> mine = new ArrayList<>();
        for (int b = rank; b < all.size(); b += world) {
            mine.add(all.get(b));
        }
        return mine;
    }

    /** Batches per epoch for this rank. */
    public int batchesPerEpoch() {
        int groups = 0, land = 0;
        for (boolean l : landscape) {
            land += l ? 1 : 0;
        }
        int port = landscape.length - land;
        groups += (land + batchSize - 1) / batchSize + (port + batchSize - 1) / batchSize;
        return (groups + world - 1) / world;
    }
}
