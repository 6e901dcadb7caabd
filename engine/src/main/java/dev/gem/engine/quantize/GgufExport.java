package dev.gem.engine.quantize;

import dev.gem.format.FileType;
import dev.gem.format.GgufType;
import dev.gem.format.GgufWriter;
import dev.gem.format.ModelFile;
import dev.gem.format.ModelFileException;
import dev.gem.quant.BlockCodec;
import dev.gem.quant.Codecs;
import dev.gem.quant.plan.PlannedTensor;
import dev.gem.quant.plan.PrecisionPlan;
import dev.gem.quant.plan.TypeChoice;
import dev.gem.tensor.Tensor;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;

/**
 * Writes a model (a GGUF file or a Hugging Face folder) as GGUF with the storage types a {@link PrecisionPlan} chose:
 * all metadata copied, {@code general.file_type} set from the plan (and the quantization version), tensors
 * re-encoded row by row (a tensor whose type does not change is copied byte for byte). Used by {@code gem convert} and
 * {@code gem quantize}.
 */
public final class GgufExport {
    private GgufExport() {}

    /** The plan's view of a model's tensors, in file order. */
    public static List<PlannedTensor> tensorsOf(ModelFile file) {
        List<PlannedTensor> out = new ArrayList<>();
        for (Tensor t : file.tensors().values()) out.add(new PlannedTensor(t.name(), t.dims(), t.type()));
        return out;
    }

    /**
     * A writer holding the source's metadata, the plan's file type and every tensor re-encoded per the plan; the
     * caller may add keys, then writes it. Tensor data is produced while writing, one tensor at a time.
     */
    public static GgufWriter writer(ModelFile source, PrecisionPlan plan) throws ModelFileException {
        GgufWriter w = new GgufWriter();
        w.putAll(source.metadata());
        w.putU32("general.file_type", FileType.of(plan.dominantType()));
        w.putU32("general.quantization_version", 2); // ggml's GGML_QNT_VERSION, which llama-quantize always writes
        for (TypeChoice c : plan.choices()) {
            Tensor t = source.require(c.tensor().name());
            if (t.type() != c.type() && (!Codecs.supports(t.type()) || !Codecs.supports(c.type())))
                throw new ModelFileException(source.name(), "tensor " + t.name() + " is " + t.type() + "; GEM cannot convert it to " + c.type());
            w.addTensor(t.name(), c.type(), t.dims(), out -> encode(t, c, out));
        }
        return w;
    }

    /** Also records the plan in the file, as {@code gem.quant.plan}. */
    public static GgufWriter writerWithPlan(ModelFile source, PrecisionPlan plan) throws ModelFileException {
        return writer(source, plan).put("gem.quant.plan", GgufType.STRING, plan.description());
    }

    /** Re-encodes row by row; large tensors in parallel slices of rows (the codecs are stateless). */
    private static void encode(Tensor t, TypeChoice c, MemorySegment out) {
        if (t.type() == c.type()) {
            out.copyFrom(t.data());
            return;
        }
        BlockCodec from = Codecs.of(t.type()), to = Codecs.of(c.type());
        int cols = t.cols();
        long rows = t.rowCount(), inRow = t.rowBytes(), outRow = c.type().bytesFor(cols);
        int slices = t.elementCount() < PARALLEL_ELEMENTS ? 1 : (int) Math.min(rows, 4L * Runtime.getRuntime().availableProcessors());
        IntStream.range(0, slices).parallel().forEach(s -> {
            float[] row = new float[cols];
            for (long r = rows * s / slices; r < rows * (s + 1) / slices; r++) {
                from.dequantize(t.data(), r * inRow, row, 0, cols);
                to.quantize(row, 0, out, r * outRow, cols);
            }
        });
    }

    /** Below this many values a tensor is encoded on the calling thread: splitting would cost more than it saves. */
    private static final long PARALLEL_ELEMENTS = 1 << 20;
}
