package dev.gem.engine.quantize;

import dev.gem.format.Metadata;
import dev.gem.format.ModelFile;
import dev.gem.quant.BlockCodec;
import dev.gem.quant.Codecs;
import dev.gem.tensor.DType;
import dev.gem.tensor.LE;
import dev.gem.tensor.Tensor;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A model file with some tensors replaced by what a storage type would make of them (quantized and decoded back, kept
 * as F32), so the effect of quantizing just those tensors can be measured without writing a file. Closing releases
 * the replacements only: the underlying file stays open for the next overlay.
 */
final class TensorOverlay implements ModelFile {
    private final ModelFile base;
    private final Arena arena = Arena.ofShared();
    private final Map<String, Tensor> tensors;
    private final String name;

    /** {@code types}: tensor name to the storage type whose rounding it should carry; empty for the file as it is. */
    TensorOverlay(ModelFile base, Map<String, DType> types) {
        this.base = base;
        Map<String, Tensor> map = new LinkedHashMap<>(base.tensors());
        for (var e : types.entrySet()) map.put(e.getKey(), roundTrip(map.get(e.getKey()), e.getValue()));
        this.tensors = Collections.unmodifiableMap(map);
        this.name = types.isEmpty() ? base.name() : base.name() + " (" + types.size() + " tensors rounded)";
    }

    private Tensor roundTrip(Tensor t, DType type) {
        if (t == null) throw new IllegalArgumentException("no tensor to round");
        BlockCodec from = Codecs.of(t.type()), to = Codecs.of(type);
        int cols = t.cols();
        long rows = t.rowCount();
        MemorySegment out = arena.allocate(4L * cols * rows, 64);
        float[] row = new float[cols], back = new float[cols];
        try (Arena scratch = Arena.ofConfined()) {
            MemorySegment q = scratch.allocate(type.bytesFor(cols), 64);
            for (long r = 0; r < rows; r++) {
                from.dequantize(t.data(), r * t.rowBytes(), row, 0, cols);
                to.quantize(row, 0, q, 0, cols);
                to.dequantize(q, 0, back, 0, cols);
                MemorySegment.copy(back, 0, out, LE.FLOAT, 4L * cols * r, cols);
            }
        }
        return new Tensor(t.name(), DType.F32, t.dims(), out);
    }

    @Override
    public String name() { return name; }

    @Override
    public Metadata metadata() { return base.metadata(); }

    @Override
    public Map<String, Tensor> tensors() { return tensors; }

    @Override
    public void close() {
        if (arena.scope().isAlive()) arena.close();
    }
}
