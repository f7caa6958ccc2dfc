package dev.dwjava.train.dist;

import java.util.List;

import dev.dwjava.core.runtime.ComputeDevice;
import org.bytedeco.javacpp.chrono.Milliseconds;
import org.bytedeco.pytorch.AllreduceOptions;
import org.bytedeco.pytorch.Backend;
import org.bytedeco.pytorch.BroadcastOptions;
import org.bytedeco.pytorch.ReduceOp;
import org.bytedeco.pytorch.TCPStore;
import org.bytedeco.pytorch.TCPStoreOptions;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.Work;

/**
 * PyTorch's c10d: a {@link TCPStore} at MASTER_ADDR:MASTER_PORT (rank 0 serves it) and a process group of one backend
 * ({@link GlooCollectives} for CPU tensors, {@link NcclCollectives} for CUDA tensors). Every collective waits at most
 * the configured timeout, so a dead peer ends the run with an error naming this rank instead of a hang.
 */
public abstract class C10dCollectives implements Collectives {
    protected final DistEnv env;
    protected final Milliseconds timeout;
    protected final TCPStore store;
    private Backend group;

    protected C10dCollectives(DistEnv env) {
        this.env = env;
        this.timeout = new Milliseconds(env.timeoutSeconds() * 1000);
        TCPStoreOptions opts = new TCPStoreOptions().port((short) env.masterPort()).isServer(env.rank() == 0)
                .waitWorkers(false).timeout(timeout);
        try {
            this.store = new TCPStore(env.masterAddr(), opts);
        } catch (RuntimeException e) {
            throw new IllegalStateException("rank " + env.rank() + ": cannot reach the rendezvous store at " + env.masterAddr()
                    + ":" + env.masterPort() + " (" + firstLine(e) + ")", e);
        }
    }

    /** The process group for the tensors of {@code device}: NCCL for a GPU, Gloo otherwise. */
    public static Collectives open(DistEnv env, ComputeDevice device) {
        return device.cuda() ? new NcclCollectives(env, device) : new GlooCollectives(env);
    }

    /** Subclasses create their backend in their constructor and hand it here. */
    protected final void use(Backend backend) {
        this.group = backend;
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
            BroadcastOptions o = new BroadcastOptions();
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
            throw new PeerFailureException("rank " + env.rank() + ": " + what + " failed (a peer died or timed out after "
                    + env.timeoutSeconds() + " s): " + firstLine(e) + "; restart every node with --auto-resume", e);
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

    static String firstLine(RuntimeException e) {
        String m = String.valueOf(e.getMessage()).strip();
        int nl = m.indexOf('\n');
        return nl < 0 ? m : m.substring(0, nl);
    }
}
