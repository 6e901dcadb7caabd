package dev.gem.kernels;

/** Run in a child JVM by {@link BackendStartupTest}: prints the backend chosen under the child's options. */
public final class BackendProbe {
    public static void main(String[] args) {
        Kernels k = Backend.get();
        System.out.println(k.name() + " " + k.vectorBits() + " | " + Backend.reason());
    }
}
