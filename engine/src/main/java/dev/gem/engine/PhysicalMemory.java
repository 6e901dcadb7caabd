package dev.gem.engine;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * How much physical memory a new allocation can take without pushing the machine into swap or the OOM killer. The
 * repacked copies are ordinary anonymous memory: Linux overcommits, so allocating more than there is succeeds and
 * the failure comes later, as a killed process, not as an OutOfMemoryError the model could recover from.
 */
public final class PhysicalMemory {
    private PhysicalMemory() {}

    /**
     * Bytes available now, or -1 when this system does not say. On Linux the kernel's own estimate (MemAvailable: free
     * memory plus the page cache it can drop, which includes a mapped model file's pages) and, in a container with a
     * memory limit, no more than the limit less the container's usage (the JDK reads the cgroup; it counts page cache
     * as used, so inside a tight container this errs towards leaving memory free). Elsewhere the JVM's total physical
     * memory, an upper bound only: other systems' free counts leave out their caches and would refuse needlessly.
     */
    public static long available() {
        long total = -1, free = -1;
        if (ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os) {
            total = os.getTotalMemorySize();
            free = os.getFreeMemorySize();
        }
        String meminfo = null;
        try {
            Path p = Path.of("/proc/meminfo");
            if (Files.isReadable(p)) meminfo = Files.readString(p);
        } catch (IOException | RuntimeException e) {
            // not Linux, or not readable: fall back to the JVM's figures
        }
        if (meminfo == null) return total;
        long avail = field(meminfo, "MemAvailable"), hostTotal = field(meminfo, "MemTotal");
        if (avail < 0) return total;
        boolean limited = total > 0 && hostTotal > 0 && total < hostTotal; // a cgroup limit below the machine's RAM
        return limited && free >= 0 ? Math.min(avail, free) : avail;
    }

    /** A "Name:   123 kB" line of /proc/meminfo in bytes, or -1 when absent or unreadable. */
    public static long field(String meminfo, String name) {
        for (String line : meminfo.split("\n")) {
            if (!line.startsWith(name + ":")) continue;
            String[] parts = line.substring(name.length() + 1).trim().split("\\s+");
            try {
                long v = Long.parseLong(parts[0]);
                return parts.length > 1 && parts[1].equalsIgnoreCase("kB") ? v * 1024 : v;
            } catch (NumberFormatException e) {
                return -1;
            }
        }
        return -1;
    }
}
