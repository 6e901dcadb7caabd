package dev.gem.tests;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Paths into ../shared/testdata and readers for its reference files. */
final class TestData {
    private TestData() {}

    static Path root() {
        String p = System.getProperty("gem.testdata");
        Path root = p != null ? Path.of(p) : Path.of("..", "..", "shared", "testdata");
        if (!Files.isDirectory(root))
            throw new IllegalStateException("test data not found at " + root.toAbsolutePath() + " (set -Dgem.testdata)");
        return root;
    }

    static Path model(String name) { return root().resolve("models").resolve(name); }

    static Path expected(String name) { return root().resolve("expected").resolve(name); }

    static float[] floats(Path file) {
        try {
            return Files.readAllLines(file).stream().map(String::trim).filter(s -> !s.isEmpty())
                    .collect(java.util.stream.Collectors.collectingAndThen(java.util.stream.Collectors.toList(), l -> {
                        float[] f = new float[l.size()];
                        for (int i = 0; i < f.length; i++) f[i] = Float.parseFloat(l.get(i));
                        return f;
                    }));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static int[] ids(Path file) {
        try {
            String s = Files.readString(file).trim();
            if (s.isEmpty()) return new int[0];
            return java.util.Arrays.stream(s.split("\\s+")).mapToInt(Integer::parseInt).toArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static String text(Path file) {
        try {
            return Files.readString(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
