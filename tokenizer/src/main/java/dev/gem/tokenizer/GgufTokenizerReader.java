package dev.gem.tokenizer;

import dev.gem.format.Metadata;
import dev.gem.format.ModelFileException;

import java.util.Locale;

/** Builds a tokenizer from GGUF {@code tokenizer.ggml.*} metadata, with llama.cpp's defaults for missing keys. */
final class GgufTokenizerReader {
    private static final System.Logger LOG = System.getLogger("dev.gem.tokenizer");
    private static final String P = "tokenizer.ggml.";

    private GgufTokenizerReader() {}

    static Tokenizer read(Metadata md) throws ModelFileException {
        String model = md.getString(P + "model");
        Vocabulary vocab = vocabulary(md);
        return switch (model) {
            case "llama" -> {
                specials(md, vocab, 1, 2, 0, -1, -1, true, false, false);
                yield new SpmTokenizer(vocab, md.getBool(P + "add_space_prefix", true));
            }
            case "gpt2" -> bpe(md, vocab);
            case "bert" -> {
                int cls = md.has(P + "cls_token_id") ? idOrNone(md, P + "cls_token_id", vocab.size()) : -1;
                specials(md, vocab, cls >= 0 ? cls : 101, -1, 100, 102, 0, true, false, true);
                boolean lowercase = md.getBool(P + "normalizer.lowercase", true);
                boolean stripAccents = md.getBool(P + "normalizer.strip_accents", lowercase);
                yield new WordPieceTokenizer(vocab, new BertPreTokenizer(lowercase, stripAccents));
            }
            default -> throw new ModelFileException(md.file(), "unsupported tokenizer.ggml.model '" + model
                    + "' (GEM reads llama (SentencePiece BPE), gpt2 (byte-level BPE) and bert (WordPiece))");
        };
    }

    private static Tokenizer bpe(Metadata md, Vocabulary vocab) throws ModelFileException {
        MergeTable merges = merges(md, vocab);
        String pre = md.getString(P + "pre", null);
        PreTokenizer.Style style;
        if (pre == null) {
            LOG.log(System.Logger.Level.WARNING, "{0}: no tokenizer.ggml.pre; using llama.cpp''s default pre-tokenizer", md.file());
            style = PreTokenizer.Style.DEFAULT;
        } else {
            style = PreTokenizer.Style.ofName(pre);
            if (style == null) {
                LOG.log(System.Logger.Level.WARNING, "{0}: unknown pre-tokenizer ''{1}''; falling back to the GPT-2 regex", md.file(), pre);
                style = PreTokenizer.Style.GPT2;
            }
        }
        boolean llama3 = style == PreTokenizer.Style.LLAMA3;
        specials(md, vocab, 11, 11, -1, -1, -1, llama3, false, false);
        return new BpeTokenizer(vocab, new PreTokenizer(style), merges, llama3, null);
    }

    private static Vocabulary vocabulary(Metadata md) throws ModelFileException {
        String[] texts = md.getStringArray(P + "tokens").clone();
        int n = texts.length;
        float[] scores = new float[n];
        if (md.has(P + "scores")) {
            float[] s = md.getFloatArray(P + "scores");
            if (s.length < n) throw new ModelFileException(md.file(), P + "scores has " + s.length + " entries for " + n + " tokens");
            System.arraycopy(s, 0, scores, 0, n);
        }
        TokenType[] types = new TokenType[n];
        java.util.Arrays.fill(types, TokenType.NORMAL);
        if (md.has(P + "token_type")) {
            int[] t = md.getIntArray(P + "token_type");
            if (t.length < n) throw new ModelFileException(md.file(), P + "token_type has " + t.length + " entries for " + n + " tokens");
            for (int i = 0; i < n; i++) types[i] = TokenType.ofCode(t[i]);
        }
        return new Vocabulary(md.file(), texts, scores, types);
    }

    /** Reads the special ids over llama.cpp's per-model defaults, then the add_* flags, then resolves EOG tokens. */
    private static void specials(Metadata md, Vocabulary v, int bos, int eos, int unk, int sep, int pad,
                                 boolean addBos, boolean addEos, boolean addSep) throws ModelFileException {
        int n = v.size();
        v.bos = id(md, "bos_token_id", bos, n);
        v.eos = id(md, "eos_token_id", eos, n);
        v.eot = id(md, "eot_token_id", -1, n);
        v.eom = id(md, "eom_token_id", -1, n);
        v.unk = id(md, "unknown_token_id", unk, n);
        v.sep = id(md, "seperator_token_id", sep, n); // sic: the GGUF key is spelled this way
        v.pad = id(md, "padding_token_id", pad, n);
        v.addBos = md.getBool(P + "add_bos_token", addBos);
        v.addEos = md.getBool(P + "add_eos_token", addEos);
        v.addSep = md.getBool(P + "add_sep_token", addSep);
        if (v.addBos && v.bos < 0) throw new ModelFileException(md.file(), P + "add_bos_token is true, but there is no BOS token");
        v.resolveEndOfGeneration();
        rstripPhi3(md, v);
    }

    /** A key's id; an absent or out-of-range one (files write 0xFFFFFFFF for "none") leaves the default. */
    private static int id(Metadata md, String key, int dflt, int n) throws ModelFileException {
        int fallback = dflt >= 0 && dflt < n ? dflt : -1;
        if (!md.has(P + key)) return fallback;
        int id = idOrNone(md, P + key, n);
        return id >= 0 ? id : fallback;
    }

    private static int idOrNone(Metadata md, String key, int n) throws ModelFileException {
        long v = md.getLong(key);
        return v >= 0 && v < n ? (int) v : -1;
    }

    /** llama.cpp: Phi-3's special tokens (but not <unk>, <s>, <|endoftext|>) swallow the whitespace after them. */
    private static void rstripPhi3(Metadata md, Vocabulary v) throws ModelFileException {
        String name = md.getString("general.name", "").toLowerCase(Locale.ROOT);
        if (!name.contains("phi-3") && !name.contains("phi3")) return;
        for (int id = 0; id < v.size(); id++) {
            String text = v.text(id);
            boolean keep = text.equals("<unk>") || text.equals("<s>") || text.equals("<|endoftext|>");
            if ((v.type(id).isSpecial() || text.equals("</s>")) && !keep) v.setStrip(id, false, true);
        }
    }

    private static MergeTable merges(Metadata md, Vocabulary vocab) throws ModelFileException {
        String[] lines = md.getStringArray(P + "merges");
        MergeTable table = new MergeTable(lines.length);
        int skipped = 0;
        for (int rank = 0; rank < lines.length; rank++) {
            String line = lines[rank];
            int space = line.indexOf(' ', 1);
            if (space < 0 || !table.add(vocab, line.substring(0, space), line.substring(space + 1), rank)) skipped++;
        }
        if (skipped > 0) LOG.log(System.Logger.Level.WARNING, "{0}: {1} merges name tokens outside the vocabulary and are ignored", md.file(), skipped);
        return table;
    }
}
