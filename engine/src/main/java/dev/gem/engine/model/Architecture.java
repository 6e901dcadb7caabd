package dev.gem.engine.model;

import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * What distinguishes one decoder family from another, as data. The transformer is written once; it consults these
 * hooks where families differ. Adding a family means adding an entry here (and, rarely, a new hook), never a copy
 * of the forward pass.
 *
 * @param name            value of {@code general.architecture}
 * @param rope            how RoPE pairs dimensions
 * @param aliases         other {@code general.architecture} names served by the same hooks
 */
public record Architecture(String name, RopeKind rope, List<String> aliases) {

    private static final Map<String, Architecture> KNOWN = new TreeMap<>();

    static {
        register(new Architecture("llama", RopeKind.INTERLEAVED, List.of()));
    }

    private static void register(Architecture a) {
        KNOWN.put(a.name, a);
        for (String alias : a.aliases) KNOWN.put(alias, a);
    }

    /** The hooks for a {@code general.architecture} value, or null if GEM does not know it. */
    public static Architecture forName(String name) {
        return KNOWN.get(name);
    }

    /** Names GEM can run, for error messages. */
    public static String supportedNames() {
        return String.join(", ", KNOWN.keySet());
    }
}
