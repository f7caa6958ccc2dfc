package dev.dwjava.eval.test;

import java.util.List;

import dev.dwjava.data.coco.CocoJson;

/**
 * The process group of a sharded test, seen from the test: where this process stands and one exchange of results.
 * dw-eval knows no process group of its own; training and {@code dw test} adapt theirs (c10d) to this.
 */
public interface ShardGroup {
    int rank();

    int worldSize();

    /** Every rank's results, concatenated in rank order, returned on every rank (a collective: all ranks call it). */
    List<CocoJson.Result> allGather(List<CocoJson.Result> mine);

    /** One process: the shard is the whole dataset. */
    ShardGroup SINGLE = new ShardGroup() {
        @Override
        public int rank() {
            return 0;
        }

        @Override
        public int worldSize() {
            return 1;
        }

        @Override
        public List<CocoJson.Result> allGather(List<CocoJson.Result> mine) {
            return mine;
        }
    };
}
