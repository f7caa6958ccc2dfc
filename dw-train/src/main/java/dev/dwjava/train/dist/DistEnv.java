package dev.dwjava.train.dist;

import java.util.Map;

/**
 * Where this process sits in a distributed run, from torchrun's environment variables: {@code RANK},
 * {@code WORLD_SIZE}, {@code LOCAL_RANK}, {@code MASTER_ADDR}, {@code MASTER_PORT}. Without {@code WORLD_SIZE}
 * (or with 1) the run is a single process.
 */
public record DistEnv(int rank, int worldSize, int localRank, String masterAddr, int masterPort, long timeoutSeconds) {
    public DistEnv {
        if (worldSize < 1 || rank < 0 || rank >= worldSize) {
            throw new IllegalArgumentException("RANK must be in [0, WORLD_SIZE), found RANK=" + rank + " WORLD_SIZE=" + worldSize);
        }
    }

    public static final DistEnv SINGLE = new DistEnv(0, 1, 0, "127.0.0.1", 29500, 1800);

    /** Reads the environment; errors name the variable. */
    public static DistEnv fromEnvironment(Map<String, String> env) {
        if (!env.containsKey("WORLD_SIZE") || env.get("WORLD_SIZE").equals("1")) {
            return SINGLE;
        }
        return new DistEnv(integer(env, "RANK", null), integer(env, "WORLD_SIZE", null), integer(env, "LOCAL_RANK", "0"),
                env.getOrDefault("MASTER_ADDR", "127.0.0.1"), integer(env, "MASTER_PORT", "29500"),
                integer(env, "DW_DIST_TIMEOUT", "1800"));
    }

    private static int integer(Map<String, String> env, String key, String dflt) {
        String v = env.getOrDefault(key, dflt);
        if (v == null) {
            throw new IllegalArgumentException("distributed run: environment variable " + key + " is not set");
        }
        try {
            return Integer.parseInt(v.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("distributed run: " + key + " must be an integer, found '" + v + "'");
        }
    }

    public boolean distributed() {
        return worldSize > 1;
    }

    public boolean isMain() {
        return rank == 0;
    }
}
