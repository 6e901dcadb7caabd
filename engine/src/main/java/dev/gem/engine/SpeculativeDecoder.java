package dev.gem.engine;

import dev.gem.engine.sample.Sampler;
import dev.gem.router.SpeculationPolicy;

/**
 * Exact self-speculative decoding. Each round drafts up to N tokens through the model's cheap path, then runs the
 * last emitted token and the drafts through the full model as one batch, which reads the weights once for all of them.
 * Row i of that batch is the full model's distribution after the i-th of those tokens; the sampler draws from it with
 * the same random number plain decoding would use at that point, so every emitted token is exactly the token plain
 * decoding would emit. Drafts are kept while they equal those draws; the first mismatch is replaced by the draw and
 * ends the round. Drafting uses the same numbers too, so a good cheap path guesses right often.
 *
 * <p>Correctness rests on two facts tested elsewhere: batched and single-token logits are bit-identical
 * (BatchInvarianceTest), and the sampler's j-th draw depends only on the seed and j.
 */
final class SpeculativeDecoder {
    private final Session session;
    private final Speculation spec;
    private final Sampler sampler;
    private final Emitter out;
    private final SpeculationPolicy policy;
    private final boolean[] skip;
    private final int vocab;

    SpeculativeDecoder(Session session, Speculation spec, Sampler sampler, Emitter out) {
        this.session = session;
        this.spec = spec;
        this.sampler = sampler;
        this.out = out;
        this.vocab = session.model().config().vocab();
        if (spec.draft().layers() != session.model().config().layers())
            throw new IllegalArgumentException("draft path is for a " + spec.draft().layers() + "-layer model; this one has "
                    + session.model().config().layers());
        this.skip = spec.draft().skipMask();
        this.policy = new SpeculationPolicy(spec.maxDraft(), 0.05, 32);
    }

    /** Generates from the logits after the prompt; returns the statistics. */
    SpeculationPolicy run(float[] promptLogits) {
        int next = sampler.sample(promptLogits, 0, vocab);
        if (!out.emit(next)) return policy;
        sampler.accept(next);
        int[] one = new int[1];
        while (!out.done()) {
            int room = session.contextSize() - session.position();
            if (room < 1) {
                out.contextFull();
                break;
            }
            int drafts = Math.min(spec.maxDraft(), room - 1);
            if (!policy.speculate(out.count()) || drafts < 1) {
                long t = System.nanoTime();
                one[0] = next;
                float[] l = session.feed(one);
                policy.plainStep(System.nanoTime() - t);
                next = sampler.sample(l, 0, vocab);
                if (!out.emit(next)) break;
                sampler.accept(next);
                continue;
            }
            next = round(next, drafts);
        }
        return policy;
    }

    /** One draft-and-verify round starting from {@code next} (emitted, not yet fed); returns the new such token. */
    private int round(int next, int maxDrafts) {
        long t0 = System.nanoTime();
        int start = session.position();
        Sampler draftSampler = sampler.copy();
        int[] batch = new int[maxDrafts + 1];
        batch[0] = next;
        int n = 1;
        int tok = next;
        for (int i = 0; i < maxDrafts; i++) {
            float[] l = session.feedCheap(tok, skip);
            tok = draftSampler.sampleAt(l, 0, vocab, sampler.draws() + i);
            draftSampler.accept(tok);
            batch[n++] = tok;
            if (session.model().tokenizer().isEndOfGeneration(tok)) break;
        }
        session.rewind(start);
        float[][] rows = session.feedBatch(java.util.Arrays.copyOf(batch, n));
        int accepted = 0, emitted = 0;
        int result = -1;
        for (int i = 0; i < n; i++) {
            int z = sampler.sample(rows[i], 0, vocab);
            emitted++;
            boolean more = out.emit(z);
            if (more) sampler.accept(z);
            if (more && i + 1 < n && z == batch[i + 1]) {
                accepted++;
                continue;
            }
            // z is emitted but not yet in the cache: positions up to this row are verified, the rest is discarded
            session.rewind(start + i + 1);
            result = z;
            break;
        }
        session.reportRoutes(); // the verified positions are final now
        policy.round(n - 1, accepted, emitted, System.nanoTime() - t0, out.count());
        return result;
    }
}
