package dev.gem.engine.synth;

import dev.gem.engine.Model;
import dev.gem.engine.Session;
import dev.gem.engine.adapter.LoraAdapter;
import dev.gem.engine.routing.GemAssembly;
import dev.gem.format.GgufFile;
import dev.gem.router.CentroidScorer;
import dev.gem.router.DomainGate;
import dev.gem.tensor.DType;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.Consumer;

/**
 * Writes a synthetic GEM model: a base model plus, per domain, a random LoRA adapter ({@link SyntheticAdapter}) and
 * centroids taken from the base model's own hidden states after L layers on a random token sequence of that domain,
 * so the router meets states like those it was "fitted" on and routes tokens to every domain and the general path.
 * For tests and benchmarks of routing without texts or trained adapters; the same seed gives the same file.
 */
public final class SyntheticGem {
    private SyntheticGem() {}

    public static void write(Model base, List<String> domains, int rank, float alpha, int centroids, int layer, float threshold,
                             long seed, Path out, Consumer<String> progress) throws IOException {
        if (centroids < 1) throw new IllegalArgumentException("each domain needs at least one centroid");
        int dim = base.config().dim(), vocab = base.config().vocab();
        SplittableRandom rng = new SplittableRandom(seed);
        GemAssembly gem = new GemAssembly(base);
        List<GgufFile> opened = new ArrayList<>();
        List<Path> temp = new ArrayList<>();
        float[] c = new float[domains.size() * centroids * dim];
        try {
            for (int d = 0; d < domains.size(); d++) {
                Path f = Files.createTempFile("gem-synth-lora-", ".gguf");
                temp.add(f);
                SyntheticAdapter.write(base.file(), rank, alpha, SyntheticAdapter.DEFAULT_TARGETS, DType.F32, rng.nextLong(), f, null);
                GgufFile g = GgufFile.open(f);
                opened.add(g);
                gem.adapter(domains.get(d), LoraAdapter.read(g, base.file().metadata().getString("general.architecture"), 1f));
                int[] tokens = new int[Math.min(64, base.contextSize())];
                for (int i = 0; i < tokens.length; i++) tokens[i] = rng.nextInt(vocab);
                float[] h;
                try (Session s = base.newSession()) {
                    h = s.hiddenStates(tokens, layer);
                }
                for (int j = 0; j < centroids; j++)
                    System.arraycopy(h, rng.nextInt(tokens.length) * dim, c, (d * centroids + j) * dim, dim);
            }
            int[] counts = new int[domains.size()];
            java.util.Arrays.fill(counts, centroids);
            gem.router(domains, layer, new DomainGate(new CentroidScorer(dim, c, counts), threshold));
            var w = GemAssembly.writer(gem.build());
            w.write(out, progress);
        } finally {
            for (GgufFile g : opened) g.close();
            for (Path p : temp) Files.deleteIfExists(p);
        }
    }
}
