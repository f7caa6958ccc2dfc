package dev.dwjava.train.dist;

import java.util.List;

import org.bytedeco.pytorch.Tensor;

/** The collective operations training needs; {@link #SINGLE} is the one-process identity. */
public interface Collectives extends AutoCloseable {
    /** In-place sum over ranks of each tensor. */
    void allreduceSum(List<Tensor> tensors);

    /** In-place copy of rank {@code root}'s tensors to every rank. */
    void broadcast(List<Tensor> tensors, int root);

    void barrier();

    int rank();

    int worldSize();

    @Override
    default void close() {}

    Collectives SINGLE = new Collectives() {
        @Override
        public void allreduceSum(List<Tensor> tensors) {}

        @Override
        public void broadcast(List<Tensor> tensors, int root) {}

        @Override
        public void barrier() {}

        @Override
        public int rank() {
            return 0;
        }

        @Override
        public int worldSize() {
            return 1;
        }
    };
}
