package dev.dwjava.train.dist;

import org.bytedeco.pytorch.GlooDeviceVector;
import org.bytedeco.pytorch.ProcessGroupGloo;

/** c10d with the Gloo backend: CPU tensors, TCP between processes (loopback when MASTER_ADDR is local). */
public final class GlooCollectives extends C10dCollectives {

    public GlooCollectives(DistEnv env) {
        super(env);
        ProcessGroupGloo.Options options = ProcessGroupGloo.Options.create(timeout);
        boolean loopback = env.masterAddr().equals("127.0.0.1") || env.masterAddr().equals("localhost");
        options.devices(new GlooDeviceVector(loopback ? ProcessGroupGloo.createDeviceForHostname("127.0.0.1")
                : ProcessGroupGloo.createDefaultDevice()));
        use(new ProcessGroupGloo(store, env.rank(), env.worldSize(), options));
    }
}
