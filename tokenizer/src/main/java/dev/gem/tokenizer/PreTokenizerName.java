package dev.gem.tokenizer;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

/**
 * The {@code tokenizer.ggml.pre} name llama.cpp's converter gives a byte-level BPE tokenizer. The converter does not
 * look at the pre-tokenizer's regex: it encodes a fixed text (with special tokens added, as
 * {@code tokenizer.encode(chktxt)} does), hashes Python's {@code str()} of the id list with SHA-256 and looks the hash
 * up in a table of known models. GEM does the same with its own encoder, which reproduces Hugging Face's ids, so the
 * name is exactly the converter's. Only for a hash that is not in the table does it fall back to recognising the
 * regexes themselves.
 */
final class PreTokenizerName {
    /** convert_hf_to_gguf.py's {@code chktxt}, character for character. */
    static final String CHECK_TEXT = "\n \n\n \n\n\n \t \t\t \t\n  \n   \n    \n     \n\uD83D\uDE80 (normal) \uD83D\uDE36\u200D\uD83C\uDF2B\uFE0F"
            + " (multiple emojis concatenated) \u2705 \uD83E\uDD99\uD83E\uDD99 3 33 333 3333 33333 333333 3333333 33333333 3.3 3..3"
            + " 3...3 \u1780\u17B6\u1793\u17CB\u178F\u17C2\u1796\u17B7\u179F\u17C1\u179F\u17A2\u17B6\u1785\uD83D\uDE01"
            + " ?\u6211\u60F3\u5728apple\u5DE5\u4F5C1314151\u5929\uFF5E ------======= \u043D\u0435\u0449\u043E \u043D\u0430"
            + " \u0411\u044A\u043B\u0433\u0430\u0440\u0441\u043A\u0438 ''''''```````\"\"\"\"......!!!!!!?????? I've been 'told he's"
            + " there, 'RE you sure? 'M not sure I'll make it, 'D you like some tea? We'Ve a'lL";

    /**
     * Hashes from llama.cpp's get_vocab_base_pre for the names GEM's {@link PreTokenizer.Style} implements. Where the
     * converter lists one hash twice, the later name wins (its chain of ifs overwrites), so it does here.
     */
    private static final Map<String, String> KNOWN = new HashMap<>();

    static {
        String[] table = {
                "0ef9807a4087ebef797fc749390439009c3b9eda9ad1a097abbe738f486c01e5", "llama-bpe", // Meta-Llama-3-8B
                "e636dc30a262dcc0d8c323492e32ae2b70728f4df7dfe9737d9f920a282b8aea", "qwen2", // Qwen1.5-7B
                "d4540891389ea895b53b399da6ac824becc30f2fba0e9ddbb98f92e55ca0e97c", "qwen2", // Qwen3-Embedding-0.6B
                "3ce83efda5659b07b1ad37ca97ca5797ea4285d9b9ab0dc679e4a720c9da7454", "gpt-2", // openai-community/gpt2
                "35d91631860c815f952d711435f48d356ebac988362536bed955d43bfa436e34", "starcoder",
                "855059429035d75a914d1eda9f10a876752e281a054a7a3d421ef0533e5b6249", "smollm", // SmolLM-135M
                "6221ad2852e85ce96f791f476e0b390cf9b474c9e3d1362f53a24a06dc8220ff", "refact",
                "9c2227e4dd922002fb81bde4fc02b0483ca4f12911410dee2255e4987644e3f8", "command-r",
                "fcace8b9cac38ce847670c970cd5892031a753a1ef381abd1d9af00f713da085", "phi-2",
                "b6dc8df998e1cfbdc4eac8243701a65afe638679230920b50d6f17d81c098166", "olmo", // also mpt, listed before
                "32d85c31273f8019248f2559fed492d929ea28b17e51d81d3bb36fff23ca72b3", "stablelm2",
                "a8594e3edff7c29c003940395316294b2c623e09894deebbc65f33f1515df79e", "dbrx",
                "c136ed14d01c2745d4f60a9596ae66800e2b61fa45643e72436041855ad4089d", "smaug-bpe",
                "9d032fcbd5501f4a38150912590928bfb36091efb5df11b8e2124b0390e3fb1e", "falcon3",
                "b3f499bb4255f8ca19fccd664443283318f2fd2414d5e0b040fbdd0cc195d6c5", "deepseek-r1-qwen",
                "0e9433cbbb161f89e264eb32e8e64bfe69e834973ffca5d41d3948a604a3e2a3", "pixtral",
                "4e2b24cc4770243d65a2c9ec19770a72f08cffc161adbb73fcbb6b7dd45a0aae", "exaone",
                "7b3e7548e4308f52a76e8229e4e6cc831195d0d1df43aed21ac6c93da05fec5f", "codeshell",
                "1431a23e583c97432bc230bff598d103ddb5a1f89960c8f1d1051aaa944d0b35", "minerva-7b",
                "b53802fb28e26d645c3a310b34bfe07da813026ec7c7716883404d5e0f8b1901", "jais",
                "c7699093ba4255a91e702aa38a596aa81669f3525dae06c2953267dde580f448", "jina-v1-en",
                "171aeeedd6fb548d418a7461d053f11b6f1f1fc9b387bd66640d28a4b9f5c643", "jina-v2-es",
                "27949a2493fc4a9f53f5b9b029c82689cfbe5d3a1929bb25e043089e28466de6", "jina-v2-de",
                "7967bfa498ade6b757b064f31e964dddbb80f8f9a4d68d4ba7998fcf281c531a", "jina-v2-code",
                "8b5a93ed704057481f240da0be7e7dca721d7f8f4755263b6807227a2cbeae65", "roberta-bpe",
                "ad851be1dba641f2e3711822f816db2c265f788b37c63b4e1aeacb9ee92de8eb", "gigachat",
                "d4c8f286ea6b520b3d495c4455483cfa2302c0cfcd4be05d781b6a8a0a7cdaf1", "megrez",
                "1994ffd01900cfb37395608534236ecd63f2bd5995d6cb1004dda1af50240f15", "trillion",
                "2085e1638f6c377a0aa4ead21b27bb4cb941bf800df86ed391011769c1758dfb", "exaone4",
                "7e57df22b1fe23a7b1e1c7f3dc4e3f96d43a4eb0836d0c6bdc3436d7b2f1c664", "hunyuan",
        };
        for (int i = 0; i < table.length; i += 2) KNOWN.put(table[i], table[i + 1]);
    }

    private PreTokenizerName() {}

    /** How the name was found, for messages and tests. */
    record Detection(String name, String hash, boolean byHash) {}

    static Detection detect(Tokenizer tokenizer, List<String> regexes, String source) throws IOException {
        String hash = checkHash(tokenizer);
        String known = KNOWN.get(hash);
        if (known != null) return new Detection(known, hash, true);
        String byRegex = byRegexes(regexes);
        if (byRegex != null) return new Detection(byRegex, hash, false);
        throw new IOException(source + ": BPE pre-tokenizer not recognised (llama.cpp check hash " + hash
                + ", regexes " + regexes + "); GEM knows llama-bpe, qwen2, gpt-2 and starcoder-style splits");
    }

    /** sha256 of Python's str() of the ids, e.g. "[128000, 198, 720]". */
    static String checkHash(Tokenizer tokenizer) {
        int[] ids = tokenizer.encode(CHECK_TEXT, true, true);
        StringBuilder sb = new StringBuilder("[");
        for (int i = 0; i < ids.length; i++) sb.append(i == 0 ? "" : ", ").append(ids[i]);
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(sb.append(']').toString().getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(digest);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
    }

    private static String byRegexes(List<String> regexes) {
        if (regexes.equals(List.of(PreTokenizer.LLAMA3))) return "llama-bpe";
        if (regexes.equals(List.of(PreTokenizer.QWEN2))) return "qwen2";
        if (regexes.equals(List.of(PreTokenizer.GPT2))) return "gpt-2";
        if (regexes.equals(List.of("\\p{N}", PreTokenizer.GPT2))) return "starcoder";
        return null;
    }
}
