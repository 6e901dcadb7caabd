package dev.gem.tests;

import dev.gem.engine.Model;
import dev.gem.engine.ModelOptions;
import dev.gem.engine.Session;
import dev.gem.engine.quantize.Perplexity;
import dev.gem.tensor.DType;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.IOException;
import java.nio.file.Files;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The KV cache starts small and grows as positions are stored. Fed one token at a time, 400 tokens make each layer grow
 * with its history inside (256 -> 512 positions); fed as one batch of 400, each layer makes room at its first store,
 * before it holds anything. Kernels are batch-invariant, so both must give the same logits bit for bit at every
 * position; a growth that lost or moved history shows from position 256 on.
 */
class KvCacheGrowthTest {
    @ParameterizedTest
    @EnumSource(names = {"F32", "F16"})
    void growingTheCacheKeepsItsHistory(DType kv) throws IOException {
        String text = Files.readString(PerplexityTest.fixture("story.txt"));
        ModelOptions options = ModelOptions.defaults().withKvType(kv).withThreads(2).withContextSize(512);
        float[][] stepwise;
        int[] tokens;
        try (Model m = Model.load(TestData.model("stories260K.gguf"), options); Session s = m.newSession()) {
            tokens = Arrays.copyOf(Perplexity.tokenize(m, text), 400);
            stepwise = new float[tokens.length][];
            for (int i = 0; i < tokens.length; i++) stepwise[i] = s.feed(new int[] {tokens[i]}).clone();
        }
        // one batch of all 400 tokens: every layer makes room for them at its first store, before holding anything
        try (Model m = Model.load(TestData.model("stories260K.gguf"), options.withBatchSize(512)); Session s = m.newSession()) {
            float[][] rows = s.feedAll(tokens);
            for (int p = 0; p < tokens.length; p++) assertArrayEquals(stepwise[p], rows[p], 0f, kv + " cache, position " + p);
        }
    }
}
