package dev.dwjava.train.dist;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.SocketException;

import org.bytedeco.pytorch.GlooDeviceVector;
import org.bytedeco.pytorch.ProcessGroupGloo;
import org.bytedeco.pytorch.gloo.Device;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * c10d with the Gloo backend: CPU tensors, TCP between processes. The address each rank advertises to its peers is
 * chosen as a careful launcher does, never from the machine's hostname (on Debian and most cloud images
 * {@code /etc/hosts} maps it to 127.0.1.1, which peers on other nodes cannot reach):
 * <ol>
 *   <li>{@code GLOO_SOCKET_IFNAME} (an interface name, as PyTorch reads it) when set;</li>
 *   <li>loopback when {@code MASTER_ADDR} is a loopback address (one node);</li>
 *   <li>otherwise the local address of the interface that routes to {@code MASTER_ADDR}; a loopback answer there is
 *       an error, since no peer on another node could connect to it.</li>
 * </ol>
 */
public final class GlooCollectives extends C10dCollectives {
    private static final Logger LOG = LoggerFactory.getLogger(GlooCollectives.class);

    public GlooCollectives(DistEnv env) {
        super(env);
        ProcessGroupGloo.Options options = ProcessGroupGloo.Options.create(timeout);
        options.devices(new GlooDeviceVector(device(env, System.getenv("GLOO_SOCKET_IFNAME"))));
        use(new ProcessGroupGloo(store, env.rank(), env.worldSize(), options));
    }

    private static Device device(DistEnv env, String ifname) {
        if (ifname != null && !ifname.isBlank()) {
            checkInterface(ifname);
            LOG.info("rank {}: Gloo on interface {} (GLOO_SOCKET_IFNAME)", env.rank(), ifname);
            return ProcessGroupGloo.createDeviceForInterface(ifname);
        }
        String address = advertisedAddress(env.masterAddr(), env.masterPort());
        LOG.info("rank {}: Gloo advertises {} (the local address that routes to MASTER_ADDR {})", env.rank(), address,
                env.masterAddr());
        return ProcessGroupGloo.createDeviceForHostname(address);
    }

    /**
     * The local address this rank's peers should connect to: loopback for a loopback {@code MASTER_ADDR}, else the
     * source address the kernel picks for a route to {@code masterAddr} (a UDP "connect" sends nothing).
     *
     * @throws IllegalArgumentException when {@code masterAddr} does not resolve, or routes through loopback although
     *                                  it is not a loopback address
     */
    static String advertisedAddress(String masterAddr, int masterPort) {
        InetAddress master;
        try {
            master = InetAddress.getByName(masterAddr);
        } catch (IOException e) {
            throw new IllegalArgumentException("MASTER_ADDR " + masterAddr + " does not resolve: " + e.getMessage());
        }
        if (master.isLoopbackAddress()) {
            return master instanceof java.net.Inet6Address ? "::1" : "127.0.0.1";
        }
        try (DatagramSocket probe = new DatagramSocket()) {
            probe.connect(new InetSocketAddress(master, masterPort));
            InetAddress local = probe.getLocalAddress();
            if (local == null || local.isAnyLocalAddress() || local.isLoopbackAddress()) {
                throw new IllegalArgumentException("no network route from this node to MASTER_ADDR " + masterAddr
                        + " except through loopback; set GLOO_SOCKET_IFNAME to the interface the nodes share (e.g. eth0)");
            }
            return local.getHostAddress();
        } catch (SocketException e) {
            throw new IllegalArgumentException("cannot find a route to MASTER_ADDR " + masterAddr + ": " + e.getMessage()
                    + "; set GLOO_SOCKET_IFNAME to the interface the nodes share");
        }
    }

    private static void checkInterface(String ifname) {
        try {
            NetworkInterface nif = NetworkInterface.getByName(ifname);
            if (nif == null || !nif.isUp()) {
                throw new IllegalArgumentException("GLOO_SOCKET_IFNAME=" + ifname + ": no such interface that is up on this node");
            }
        } catch (SocketException e) {
            throw new UncheckedIOException(e);
        }
    }
}
