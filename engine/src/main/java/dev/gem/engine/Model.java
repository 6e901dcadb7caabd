package dev.gem.engine;

import dev.gem.engine.model.Architecture;
import dev.gem.engine.model.ModelConfig;
import dev.gem.engine.model.Weights;
import dev.gem.engine.routing.Domains;
import dev.gem.engine.routing.GemSpec;
import dev.gem.format.GgufFile;
import dev.gem.format.ModelFile;
import dev.gem.format.ModelFileException;
import dev.gem.kernels.Backend;
import dev.gem.kernels.Kernels;
import dev.gem.kernels.ThreadPool;
import dev.gem.tensor.DType;
import dev.gem.tensor.Tensor;
import dev.gem.tokenizer.Tokenizer;

import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A loaded language model: its GGUF file mapped once, its tokenizer, and a pool of kernel threads.
 * Generation state lives in {@link Session}s; one model can serve several sessions (their forward passes take turns).
 *
 * <pre>{@code
 * try (Model model = Model.load(Path.of("model.gguf"))) {
 *     model.generate("Once upon a time", GenerateOptions.defaults(), (id, text) -> {
 *         System.out.print(text);
 *         return true;
 *     });
 * }
 * }</pre>
 *
 * Closing the model unmaps the file and stops its threads; sessions of a closed model fail with an
 * {@link IllegalStateException} rather than touching unmapped memory.
 */
public final class Model implements AutoCloseable {
    /** Classpath location of the embedded demo model (Karpathy's stories260K, MIT licensed). */
    public static final String DEMO_RESOURCE = "/dev/gem/engine/demo/stories260K.gguf";

    private final ModelFile file;
    private final ModelConfig config;
    private final Weights weights;
    private final Tokenizer tokenizer;
    private final Kernels kernels;
    private final ThreadPool pool;
    /**
     * The kernels' repacked copies; null with repacking off. An explicit arena, closed with the model: its memory is
     * back at close rather than at some later garbage collection, and the JVM's cap on collector-managed native memory
     * (-XX:MaxDirectMemorySize, a quarter of RAM by default, which Arena.ofAuto counts against) does not apply.
     */
    private final Arena repacked;
    private final ModelOptions options;
    private final GemSpec gem;
    private final Domains domains;
    private volatile boolean closed;

    private Model(ModelFile file, ModelOptions options) throws IOException {
        this.file = file;
        this.options = options;
        this.kernels = options.kernels() != null ? options.kernels() : Backend.get();
        var md = file.metadata();
        String archName = md.getString("general.architecture");
        Architecture arch = Architecture.forName(archName);
        if (arch == null)
            throw new ModelFileException(file.name(), "unsupported architecture '" + archName + "' (GEM runs: " + Architecture.supportedNames() + ")");
        this.tokenizer = Tokenizer.fromGguf(md);
        this.config = ModelConfig.read(md, arch, tokenizer.vocabSize());
        this.weights = new Weights(file, config, kernels);
        this.gem = GemSpec.read(file, config);
        for (String w : gem.warnings()) LOG.warning(file.name() + ": " + w);
        this.domains = Domains.load(file, gem, weights, kernels, archName, options.adapters());
        this.pool = new ThreadPool(options.threads());
        this.repacked = options.repack() ? Arena.ofShared() : null;
        if (repacked != null) {
            try {
                prepareMatrices(matrices());
            } catch (RuntimeException | Error e) { // open() closes the file; the copies and threads are ours to free
                repacked.close();
                pool.close();
                throw e;
            }
        }
    }

    /** The matrices the forward pass multiplies with: the output head, every layer's, every expert's. */
    private List<Tensor> matrices() {
        List<Tensor> matrices = new ArrayList<>();
        matrices.add(weights.output);
        for (Weights.Layer l : weights.layers)
            Collections.addAll(matrices, l.wq, l.wk, l.wv, l.wqkv, l.wo, l.wGate, l.wUp, l.wDown,
                    l.wGateShared, l.wUpShared, l.wDownShared);
        for (Weights.Layer l : weights.layers)
            for (Tensor[] experts : new Tensor[][] {l.gateExp, l.upExp, l.downExp})
                if (experts != null) Collections.addAll(matrices, experts);
        matrices.removeIf(Objects::isNull);
        return new ArrayList<>(new java.util.LinkedHashSet<>(matrices)); // once each, though a file may share a tensor
    }

    /**
     * Lets the kernels repack the matrices the forward pass multiplies with, where that measurably pays (see
     * Kernels.prepare). The mapped file stays as it is and still serves embedding rows. Copies that do not fit in the
     * room physical memory leaves ({@link #roomForCopies}) are not made, and those matrices stay zero-copy; so does
     * the rest when an allocation fails. Either way the model runs, slower, and a warning says why.
     */
    private void prepareMatrices(List<Tensor> matrices) {
        // A matrix per thread rather than rows of one matrix across threads: a copy's memory is zeroed by the thread
        // that allocates it, which then ran alone (most of the repacking time on llama-1b Q4_0). Largest first,
        // so no thread is left with the output head at the end, and so smaller matrices fill what room is left.
        matrices.sort(Comparator.comparingLong(Tensor::byteSize).reversed());
        Room room = roomForCopies();
        AtomicLong left = new AtomicLong(room.bytes()), made = new AtomicLong(), refused = new AtomicLong();
        AtomicInteger next = new AtomicInteger(), done = new AtomicInteger(), skipped = new AtomicInteger();
        AtomicReference<Throwable> noRoom = new AtomicReference<>();
        pool.forRange(pool.threads(), (first, last) -> {
            try (ThreadPool here = new ThreadPool(1)) {
                for (int i; noRoom.get() == null && (i = next.getAndIncrement()) < matrices.size(); ) {
                    try {
                        kernels.prepare(here, matrices.get(i), bytes -> {
                            if (left.addAndGet(-bytes) < 0) {
                                left.addAndGet(bytes);
                                refused.addAndGet(bytes);
                                throw OVER_ROOM;
                            }
                            MemorySegment copy = repacked.allocate(bytes, 64);
                            made.addAndGet(bytes);
                            return copy;
                        });
                        done.incrementAndGet();
                    } catch (OverRoom e) {
                        skipped.incrementAndGet();
                    } catch (OutOfMemoryError e) {
                        noRoom.compareAndSet(null, e);
                    }
                }
            }
        });
        if (skipped.get() > 0)
            LOG.warning(String.format("%s: %d of %d matrices stay in the file's layout and run slower: repacking all "
                    + "of them would take %s, and there is room for %s (%s). Free memory, or pass --no-repack to skip "
                    + "repacking.", file.name(), skipped.get(), matrices.size(), size(made.get() + refused.get()),
                    size(room.bytes()), room.why()));
        if (noRoom.get() != null)
            LOG.warning(file.name() + ": not enough memory to repack the weights for the fast kernels ("
                    + noRoom.get().getMessage() + "); " + (matrices.size() - done.get() - skipped.get()) + " of "
                    + matrices.size() + " matrices stay in the file's layout and run slower. Pass --no-repack to skip repacking.");
    }

    /** The system property that sets the room for repacked copies, in bytes or with a k, m or g suffix. */
    public static final String REPACK_MEMORY = "gem.repackMemory";
    /** Memory left free beside the copies besides a session's KV cache: scratch, heap growth, the rest of the JVM. */
    private static final long WORKING_MEMORY = 256L << 20;

    /** Thrown by the copies' allocator for a copy that would not fit; only the count and size are reported. */
    private static final class OverRoom extends RuntimeException {
        OverRoom() { super("no room for the copy", null, false, false); }
    }
    private static final OverRoom OVER_ROOM = new OverRoom();

    /** Bytes the repacked copies may take, and where that figure comes from (for the warning). */
    private record Room(long bytes, String why) {}

    /**
     * -D{@value #REPACK_MEMORY} when set, else the physical memory available less {@link #reserve()}; unlimited
     * where the system does not say what is available.
     */
    private Room roomForCopies() {
        String set = System.getProperty(REPACK_MEMORY);
        if (set != null) return new Room(parseSize(REPACK_MEMORY, set), "set by -D" + REPACK_MEMORY);
        long available = PhysicalMemory.available(), reserve = reserve();
        if (available < 0) return new Room(Long.MAX_VALUE, "");
        return new Room(Math.max(0, available - reserve), "the " + size(available) + " of physical memory available, less "
                + size(reserve) + " for the KV cache and working memory");
    }

    /** What has to stay free beside the copies: a session's KV cache at this model's context, and working memory. */
    private long reserve() {
        long kvBytes = options.kvType() == DType.F16 ? 2 : 4;
        return (long) config.layers() * contextSize() * (config.kvDim() + config.kvDimV()) * kvBytes + WORKING_MEMORY;
    }

    static long parseSize(String what, String text) {
        String t = text.trim().toLowerCase(java.util.Locale.ROOT);
        int shift = t.endsWith("k") ? 10 : t.endsWith("m") ? 20 : t.endsWith("g") ? 30 : 0;
        try {
            long v = Long.parseLong(shift > 0 ? t.substring(0, t.length() - 1) : t);
            if (v >= 0 && v <= Long.MAX_VALUE >> shift) return v << shift;
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new IllegalArgumentException(what + ": '" + text + "' is not a size (bytes, or a whole number with k, m or g)");
    }

    private static String size(long bytes) {
        return bytes >= 1L << 30 ? String.format("%.2f GB", bytes / (double) (1L << 30))
                : String.format("%.0f MB", bytes / (double) (1L << 20));
    }

    private static final java.util.logging.Logger LOG = java.util.logging.Logger.getLogger(Model.class.getName());

    /** Opens a GGUF model (or a Hugging Face model folder) with default options. */
    public static Model load(Path path) throws IOException {
        return load(path, ModelOptions.defaults());
    }

    /** Opens a GGUF file, or a Hugging Face model folder read as the GGUF it would convert to. */
    public static Model load(Path path, ModelOptions options) throws IOException {
        return open(ModelFiles.open(path), options);
    }

    /** The small story model embedded in GEM, for demos and smoke tests. */
    public static Model loadDemo(ModelOptions options) throws IOException {
        try (InputStream in = Model.class.getResourceAsStream(DEMO_RESOURCE)) {
            if (in == null) throw new IOException("the embedded demo model " + DEMO_RESOURCE + " is missing from this build");
            byte[] bytes = in.readAllBytes();
            Arena arena = Arena.ofShared();
            MemorySegment seg = arena.allocate(bytes.length, 64);
            MemorySegment.copy(MemorySegment.ofArray(bytes), 0, seg, 0, bytes.length);
            return open(GgufFile.read(seg, "embedded:stories260K.gguf", arena), options);
        }
    }

    public ModelConfig config() { return config; }

    public Tokenizer tokenizer() { return tokenizer; }

    public Kernels kernels() { return kernels; }

    public ModelOptions options() { return options; }

    /** The underlying file (metadata, tensors). */
    public ModelFile file() { return file; }

    /** The GEM components of the file (domains, router, SCAR defaults, cheap path...); empty for a plain GGUF. */
    public GemSpec gem() { return gem; }

    /** The domains, domain router and adapters this model routes among (the GEM file's, plus attached adapters). */
    public Domains domains() { return domains; }

    /**
     * Builds a model over an already-open model file (a GGUF, a Hugging Face directory, ...). The model takes
     * ownership: closing the model closes the file, and so does a failure here.
     */
    public static Model open(ModelFile file, ModelOptions options) throws IOException {
        try {
            return new Model(file, options);
        } catch (IOException | RuntimeException e) {
            file.close();
            throw e;
        }
    }

    Weights weights() { return weights; }

    ThreadPool pool() { return pool; }

    /** Context positions a new session gets. */
    public int contextSize() {
        int c = options.contextSize() > 0 ? options.contextSize() : Math.min(config.contextLength(), ModelOptions.DEFAULT_CONTEXT);
        return c;
    }

    /** A fresh conversation state (KV cache and buffers) with the model's context size. */
    public Session newSession() {
        checkOpen();
        return new Session(this, contextSize());
    }

    /** Generates a continuation of {@code prompt} in a throw-away session. */
    public GenerationResult generate(String prompt, GenerateOptions options, TokenListener listener) {
        try (Session s = newSession()) {
            return s.generate(prompt, options, listener);
        }
    }

    /** The pooled embedding of a text from an encoder model; see {@link Session#embed}. */
    public float[] embed(String text, boolean normalize) {
        try (Session s = newSession()) {
            return s.embed(text, normalize);
        }
    }

    void checkOpen() {
        if (closed) throw new IllegalStateException("model " + file.name() + " is closed");
    }

    @Override
    public void close() {
        synchronized (pool) {
            if (closed) return;
            closed = true;
            pool.close();
            if (repacked != null) repacked.close();
            domains.close();
            file.close();
        }
    }
}
