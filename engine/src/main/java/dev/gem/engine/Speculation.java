package dev.gem.engine;

import dev.gem.router.CheapPath;

/**
 * Exact self-speculative decoding: draft up to {@code maxDraft} tokens on the model's own cheap path, verify them with
 * one full-depth batch, keep the agreed prefix. The output is identical to plain decoding (same seed, same tokens).
 *
 * @param draft    the cheap path that drafts (an early exit or skipped layers; see {@code gem router calibrate})
 * @param maxDraft drafts per round
 */
public record Speculation(CheapPath draft, int maxDraft) {
    public Speculation {
        if (draft == null) throw new IllegalArgumentException("a draft path is required");
        if (maxDraft < 1) throw new IllegalArgumentException("speculate at least 1 token, got " + maxDraft);
    }
}
