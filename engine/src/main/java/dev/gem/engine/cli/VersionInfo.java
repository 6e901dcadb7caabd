package dev.gem.engine.cli;

import dev.gem.kernels.Backend;
import dev.gem.kernels.Kernels;
import picocli.CommandLine.IVersionProvider;

import java.io.InputStream;
import java.util.Properties;

/** What {@code gem --version} prints: GEM's version, the kernel backend and vector width in use, and the JVM. */
public final class VersionInfo implements IVersionProvider {
    @Override
    public String[] getVersion() {
        Kernels k = Backend.get();
        String width = k.vectorBits() == 0 ? "scalar" : k.vectorBits() + "-bit vectors";
        return new String[]{
                "gem " + version(),
                "kernels: " + k.name() + " (" + width + "; " + Backend.reason() + ")",
                "java: " + System.getProperty("java.vm.name") + " " + Runtime.version() + " on " + System.getProperty("os.arch")
                        + ", " + Runtime.getRuntime().availableProcessors() + " processors"};
    }

    static String version() {
        try (InputStream in = VersionInfo.class.getResourceAsStream("/dev/gem/engine/gem.properties")) {
            Properties p = new Properties();
            if (in != null) p.load(in);
            return p.getProperty("version", "dev");
        } catch (java.io.IOException e) {
            return "dev";
        }
    }
}
