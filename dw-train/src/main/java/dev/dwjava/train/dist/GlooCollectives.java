package dev.dwjava.train.dist;

import java.util.List;

import org.bytedeco.javacpp.chrono.Milliseconds;
import org.bytedeco.pytorch.AllreduceOptions;
import org.bytedeco.pytorch.GlooDeviceVector;
import org.bytedeco.pytorch.ProcessGroupGloo;
import org.bytedeco.pytorch.ReduceOp;
import org.bytedeco.pytorch.TCPStore;
import org.bytedeco.pytorch.TCPStoreOptions;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.Work;

/**
 * PyTorch's c10d with the Gloo backend (CPU): a {@link TCPStore} at MASTER_ADDR:MASTER_PORT (rank 0 serves it) and a
 * {@link ProcessGroupGloo}. Every collective waits at most the configured timeout, so a dead peer ends the run with an
 * error instead of a hang.
 */
public final class GlooCollectives implements Collectives {
    private final DistEnv env;
    private final TCPStore store;
    private final ProcessGroupGloo group;

    public GlooCollectives(DistEnv env) {
        this.env = env;
        Milliseconds timeout = new Milliseconds(env.timeoutSeconds() * 1000);
        TCPStoreOptions opts = new TCPStoreOptions().port((short) env.masterPort()).isServer(env.rank() == 0)
                .waitWorkers(false).timeout(timeout);
        try {
            this.store = new TCPStore(env.masterAddr(), opts);
        } catch (RuntimeException e) {
            throw new IllegalStateException("rank " + env.rank() + ": cannot reach the rendezvous store at " + env.masterAddr()
                    + ":" + env.masterPort() + " (" + firstLine(e) + ")", e);
        }
        ProcessGroupGloo.Options options = ProcessGroupGloo.Options.create(timeout);
        boolean loopback = env.masterAddr().equals("127.0.0.1") || env.masterAddr().equals("localhost");
        options.devices(new GlooDeviceVector(loopback ? ProcessGroupGloo.createDeviceForHostname("127.0.0.1")
                : ProcessGroupGloo.createDefaultDevice()));
        this.group = new ProcessGroupGloo(store, env.rank(), env.worldSize(), options);
    }

    @Override
    public void allreduceSum(List<Tensor> tensors) {
        // One call per tensor: a c10d tensor list means "one tensor per local device", all of one shape.
        for (Tensor t : tensors) {
            AllreduceOptions o = new AllreduceOptions().reduceOp(new ReduceOp(ReduceOp.RedOpType.SUM));
            await(group.allreduce(new TensorVector(t), o), "allreduce");
        }
    }

    @Override
    public void broadcast(List<Tensor> tensors, int root) {
        for (Tensor t : tensors) {
            org.bytedeco.pytorch.BroadcastOptions o = new org.bytedeco.pytorch.BroadcastOptions();
            o.rootRank(root);
            await(group.broadcast(new TensorVector(t), o), "broadcast");
        }
    }

    @Override
    public void barrier() {
        await(group.barrier(), "barrier");
    }

    private void await(Work w, String what) {
        try {
            w._wait();
        } catch (RuntimeException e) {
            throw new IllegalStateException("rank " + env.rank() + ": " + what + " failed (a peer died or timed out after "
                    + env.timeoutSeconds() + " s): " + firstLine(e), e);
        }
    }

    @Override
    public int rank() {
        return env.rank();
    }

    @Override
    public int worldSize() {
        return env.worldSize();
    }

    private static String firstLine(RuntimeException e) {
        String m = String.valueOf(e.getMessage()).strip();
        int nl = m.indexOf('\n');
        return nl < 0 ? m : m.substring(0, nl);
    }
}
