package dev.dwjava.train.dist;

import java.util.ArrayList;
import java.util.List;

import dev.dwjava.core.runtime.ComputeDevice;
import dev.dwjava.core.tensor.Tensors;
import dev.dwjava.data.coco.CocoJson;
import dev.dwjava.eval.test.ShardGroup;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch.ScalarType;

/**
 * A sharded test's exchange over the training process group: two sums, first of the ranks' counts, then of a float64
 * table where each rank fills its own rows and leaves the others zero. Sums with zero are exact, so every rank gets
 * every detection bit for bit; no shared file system is needed between nodes.
 */
public final class CollectiveShardGroup implements ShardGroup {
    private static final int FIELDS = 7;   // image id, category id, x, y, w, h, score

    private final Collectives collectives;
    private final ComputeDevice device;

    /** @param device where the process group's tensors live (CUDA for NCCL, the CPU for Gloo) */
    public CollectiveShardGroup(Collectives collectives, ComputeDevice device) {
        this.collectives = collectives;
        this.device = device;
    }

    @Override
    public int rank() {
        return collectives.rank();
    }

    @Override
    public int worldSize() {
        return collectives.worldSize();
    }

    @Override
    public List<CocoJson.Result> allGather(List<CocoJson.Result> mine) {
        int world = collectives.worldSize(), rank = collectives.rank();
        if (world == 1) {
            return mine;
        }
        double[] counts = new double[world];
        counts[rank] = mine.size();
        double[] all = sum(counts);
        long before = 0, total = 0;
        for (int k = 0; k < world; k++) {
            before += k < rank ? (long) all[k] : 0;
            total += (long) all[k];
        }
        if (total * FIELDS > Integer.MAX_VALUE) {
            throw new IllegalStateException("too many detections to gather (" + total + "); lower test.max_per_img");
        }
        double[] table = new double[(int) (total * FIELDS)];
        int at = (int) before * FIELDS;
        for (CocoJson.Result r : mine) {
            double[] row = {r.imageId(), r.categoryId(), r.x(), r.y(), r.w(), r.h(), r.score()};
            System.arraycopy(row, 0, table, at, FIELDS);
            at += FIELDS;
        }
        double[] gathered = total == 0 ? table : sum(table);
        List<CocoJson.Result> out = new ArrayList<>((int) total);
        for (int i = 0; i < total; i++) {
            int o = i * FIELDS;
            out.add(new CocoJson.Result((long) gathered[o], (long) gathered[o + 1], gathered[o + 2], gathered[o + 3],
                    gathered[o + 4], gathered[o + 5], gathered[o + 6]));
        }
        return out;
    }

    private double[] sum(double[] values) {
        Tensor t = Tensors.of(values, ScalarType.Double, values.length).to(device.torchDevice(), ScalarType.Double);
        collectives.allreduceSum(List.of(t));
        return Tensors.toDoubles(t);
    }
}
