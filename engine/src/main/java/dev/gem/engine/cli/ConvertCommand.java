package dev.gem.engine.cli;

import dev.gem.engine.ModelFiles;
import dev.gem.engine.quantize.GgufExport;
import dev.gem.format.HuggingFaceModel;
import dev.gem.quant.Codecs;
import dev.gem.quant.plan.PrecisionPlan;
import dev.gem.quant.plan.TypeChoice;
import dev.gem.tensor.DType;
import dev.gem.tensor.Tensor;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;

/**
 * {@code gem convert}: a Hugging Face model folder to GGUF, as llama.cpp's convert_hf_to_gguf.py writes it; or, given
 * a GGUF file, a GEM model assembled from it (see {@link AssembleArgs}).
 */
@Command(name = "convert", mixinStandardHelpOptions = true, sortOptions = false, usageHelpAutoWidth = true,
        description = {"Converts a Hugging Face model folder (config.json, tokenizer files, model.safetensors or shards) to",
                "GGUF, with the metadata, tensor names and tensor rewrites of llama.cpp's convert_hf_to_gguf.py.",
                "GEM can also run the folder directly (gem -m FOLDER); converting saves the rewrites at every start.",
                "Given a GGUF file instead, assembles a GEM model: the base model plus LoRA adapters bound to domains,",
                "a domain router (from a file gem router fit wrote) and SCAR defaults (see docs/gem-format.md)."},
        footer = {"", "Architectures: LlamaForCausalLM, MistralForCausalLM, MixtralForCausalLM, Qwen2ForCausalLM,",
                "Qwen3ForCausalLM, Qwen2MoeForCausalLM, Qwen3MoeForCausalLM, OlmoeForCausalLM, GemmaForCausalLM,",
                "Gemma2ForCausalLM, Phi3ForCausalLM. Tokenizer: tokenizer.model (SentencePiece) or tokenizer.json.", "",
                "Examples:", "  gem convert ./Llama-3.2-1B -o llama-3.2-1b-bf16.gguf",
                "  gem convert base.gguf --router fitted.gem.gguf --adapter law=law-lora.gguf --adapter medicine=med-lora.gguf -o model.gem.gguf"})
public final class ConvertCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "HF_DIR|BASE.gguf", description = "Hugging Face model folder, or a GGUF model to assemble a GEM model from")
    Path input;

    @Option(names = {"-o", "--output"}, required = true, paramLabel = "OUT.gguf", description = "GGUF file to write")
    Path output;

    @Option(names = "--type", paramLabel = "TYPE", defaultValue = "auto",
            description = "type of the weight matrices: auto (bf16 or f16, as the checkpoint stores them), f32, f16, bf16, q8_0, "
                    + "or any type gem quantize writes; norms and biases are always f32 (default: ${DEFAULT-VALUE})")
    String type;

    @picocli.CommandLine.Mixin
    AssembleArgs assemble;

    @Override
    public Integer call() throws Exception {
        PrintWriter err = spec.commandLine().getErr();
        if (Files.isRegularFile(input)) return assemble.run(input, output, type, err);
        if (assemble.given()) throw new IllegalArgumentException("--adapter, --router, --threshold and --scar-* assemble GEM files from a GGUF input, not a folder");
        if (!HuggingFaceModel.isModelFolder(input))
            throw new IllegalArgumentException(input + " is not a Hugging Face model folder (no config.json); gem quantize reads GGUF files");
        if (Files.isDirectory(output)) throw new IllegalArgumentException(output + " is a folder; give the GGUF file to write");
        try (HuggingFaceModel model = ModelFiles.openHuggingFace(input)) {
            DType out = outputType(model);
            PrecisionPlan plan = PrecisionPlan.forConversion(GgufExport.tensorsOf(model), out);
            for (TypeChoice c : plan.notes()) err.println("gem: " + c.tensor().name() + ": " + c.note());
            ProgressBar bar = new ProgressBar(err, "writing " + output.getFileName(), plan.choices().size());
            GgufExport.writer(model, plan).write(output, bar::step);
            err.printf("gem: wrote %s: %s (%s) as %s, %d tensors, %.1f MB, %.2f bits per weight%n", output,
                    model.architecture().hfName(), model.architecture().ggufArch(), name(out),
                    plan.choices().size(), Files.size(output) / 1e6, plan.bitsPerWeight());
        }
        return 0;
    }

    /** auto follows the converter: the first matrix's 16-bit type, else F16. */
    private DType outputType(HuggingFaceModel model) {
        if (!type.equalsIgnoreCase("auto")) {
            DType t = DType.ofName(type);
            if (t == null || !Codecs.supports(t)) throw new IllegalArgumentException("unknown or unwritable type '" + type + "'");
            return t;
        }
        for (Tensor t : model.tensors().values())
            if (t.rank() >= 2 && (t.type() == DType.BF16 || t.type() == DType.F16)) return t.type();
        return DType.F16;
    }

    private static String name(DType t) {
        return t.name().toLowerCase(java.util.Locale.ROOT);
    }
}
