package dev.gem.kernels;

import java.lang.management.ManagementFactory;
import java.util.logging.Logger;

/**
 * Chooses the kernel backend once per JVM, the way Lucene's VectorizationProvider does: the Vector API backend when
 * the {@code jdk.incubator.vector} module is present and C2 will compile it, at the widest width the CPU prefers;
 * otherwise the scalar backend, with a one-time warning saying why and how to fix it (never silently).
 *
 * <p>{@code -Dgem.vectorBits=0|128|256|512} forces a width (0 = scalar); asking for a width the CPU or JVM cannot
 * provide is an error, not a quiet downgrade.
 */
public final class Backend {
    private static final Logger LOG = Logger.getLogger(Backend.class.getName());
    public static final String VECTOR_MODULE = "jdk.incubator.vector";

    private static volatile Kernels chosen;
    private static String reason = "";

    private Backend() {}

    /** The kernels every model in this JVM uses. */
    public static Kernels get() {
        Kernels k = chosen;
        if (k == null) {
            synchronized (Backend.class) {
                if (chosen == null) chosen = choose();
                k = chosen;
            }
        }
        return k;
    }

    /** Why the current backend was chosen (for --version and logs). */
    public static String reason() {
        get();
        return reason;
    }

    /** True when the Vector API module is loaded in this JVM. */
    public static boolean vectorModulePresent() {
        return ModuleLayer.boot().findModule(VECTOR_MODULE).isPresent();
    }

    private static Kernels choose() {
        String forced = System.getProperty("gem.vectorBits");
        if (forced != null && !forced.isBlank()) {
            int bits;
            try {
                bits = Integer.parseInt(forced.trim());
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("-Dgem.vectorBits must be 0, 128, 256 or 512, not '" + forced + "'");
            }
            if (bits == 0) {
                reason = "scalar forced by -Dgem.vectorBits=0";
                return new ScalarKernels();
            }
            if (bits != 128 && bits != 256 && bits != 512)
                throw new IllegalArgumentException("-Dgem.vectorBits must be 0, 128, 256 or 512, not " + bits);
            if (!vectorModulePresent())
                throw new IllegalStateException("-Dgem.vectorBits=" + bits + " needs the JVM option --add-modules " + VECTOR_MODULE);
            Kernels k = VectorLoader.load(bits);
            reason = "vector width forced by -Dgem.vectorBits=" + bits;
            return k;
        }
        if (!vectorModulePresent()) {
            reason = "scalar: the JVM was started without --add-modules " + VECTOR_MODULE;
            LOG.warning("GEM is running its slow scalar kernels because the JVM was started without --add-modules "
                    + VECTOR_MODULE + ". Add that option (java -jar gem.jar does it for you).");
            return new ScalarKernels();
        }
        if (!c2Enabled()) {
            reason = "scalar: the C2 compiler is disabled, so Vector API code would run interpreted";
            LOG.warning("GEM is running its scalar kernels: " + reason);
            return new ScalarKernels();
        }
        int preferred = VectorLoader.preferredBits();
        if (preferred < 128) {
            reason = "scalar: the CPU's preferred vector width is " + preferred + " bits";
            LOG.warning("GEM is running its scalar kernels: " + reason);
            return new ScalarKernels();
        }
        reason = "Vector API at the CPU's preferred width";
        return VectorLoader.load(preferred);
    }

    private static boolean c2Enabled() {
        try {
            var bean = ManagementFactory.getPlatformMXBean(com.sun.management.HotSpotDiagnosticMXBean.class);
            if (bean == null) return true;
            int level = Integer.parseInt(bean.getVMOption("TieredStopAtLevel").getValue());
            boolean useCompiler = Boolean.parseBoolean(bean.getVMOption("UseCompiler").getValue());
            return useCompiler && level >= 4;
        } catch (RuntimeException | LinkageError e) {
            return true; // not HotSpot: trust the JIT
        }
    }

    /**
     * Loads the vector backend reflectively, so this class (and the scalar path) never links against
     * jdk.incubator.vector when the module is absent.
     */
    private static final class VectorLoader {
        static Kernels load(int bits) {
            try {
                Class<?> c = Class.forName("dev.gem.kernels.simd.VectorKernels");
                return (Kernels) c.getMethod("create", int.class).invoke(null, bits);
            } catch (java.lang.reflect.InvocationTargetException e) {
                if (e.getCause() instanceof RuntimeException re) throw re;
                throw new IllegalStateException("cannot start the vector backend", e.getCause());
            } catch (ReflectiveOperationException e) {
                throw new IllegalStateException("cannot start the vector backend", e);
            }
        }

        static int preferredBits() {
            try {
                Class<?> c = Class.forName("dev.gem.kernels.simd.VectorKernels");
                return (int) c.getMethod("preferredBits").invoke(null);
            } catch (ReflectiveOperationException e) {
                throw new IllegalStateException("cannot query the vector backend", e);
            }
        }
    }
}
