package dev.gem.engine;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.LongFunction;
import java.util.logging.Logger;

/**
 * Where a model's repacked weight copies live. Native memory first; but the JVM caps native memory
 * (-XX:MaxDirectMemorySize, by default the heap limit, a quarter of RAM), and the copies of an 8B model exceed that.
 * Past the cap each copy becomes a mapped temporary file, which no JVM limit counts: the operating system keeps it in
 * memory when there is room and pages it like the model file when there is not (on a tmpfs /tmp it is memory). So a
 * large model repacks without JVM flags. Only when the file cannot be made either (disk full, no temp directory) does a
 * copy fail, with an {@link UncheckedIOException}, and its matrix stays zero-copy.
 */
final class RepackMemory implements LongFunction<MemorySegment> {
    private static final Logger LOG = Logger.getLogger(Model.class.getName());

    private final String model;
    private final Path dir;
    private final java.util.concurrent.atomic.AtomicBoolean capped = new java.util.concurrent.atomic.AtomicBoolean();

    /** Copies for the model named {@code model}; files, when needed, in {@code dir}. */
    RepackMemory(String model, Path dir) {
        this.model = model;
        this.dir = dir;
    }

    /** Temporary files in java.io.tmpdir. */
    RepackMemory(String model) {
        this(model, Path.of(System.getProperty("java.io.tmpdir")));
    }

    /** Called once per matrix, before it is packed; by several threads at once. */
    @Override
    public MemorySegment apply(long bytes) {
        if (!capped.get()) {
            try {
                return Arena.ofAuto().allocate(bytes, 64);
            } catch (OutOfMemoryError e) {
                if (capped.compareAndSet(false, true))
                    LOG.info(model + ": the JVM's native memory limit is reached (" + e.getMessage() + "); the remaining "
                            + "repacked weights are kept in temporary files in " + dir + " (unlinked at once; their space is freed "
                            + "with the model), which the operating system pages like the model file");
            }
        }
        return mapTemporaryFile(bytes);
    }

    private MemorySegment mapTemporaryFile(long bytes) {
        Path file = null;
        try {
            file = Files.createTempFile(dir, "gem-repacked-", ".tmp");
            MemorySegment segment;
            try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
                // written out rather than left sparse: a full disk then fails here as an IOException, not later as a
                // fault while the packer stores into the mapping. RandomAccessFile, because FileChannel writes go
                // through direct buffers, which count against the very cap that brought us here.
                byte[] zeros = new byte[1 << 20];
                for (long at = 0; at < bytes; at += zeros.length) raf.write(zeros, 0, (int) Math.min(zeros.length, bytes - at));
                segment = raf.getChannel().map(FileChannel.MapMode.READ_WRITE, 0, bytes, Arena.ofAuto());
            }
            deleteWhileMapped(file);
            return segment;
        } catch (IOException e) {
            if (file != null) deleteWhileMapped(file);
            throw new UncheckedIOException("cannot keep repacked weights in a temporary file in " + dir + ": " + e, e);
        }
    }

    /** The mapping keeps the data; where the OS refuses to delete a mapped file (Windows), it goes when the JVM exits. */
    private static void deleteWhileMapped(Path file) {
        try {
            Files.deleteIfExists(file);
        } catch (IOException e) {
            file.toFile().deleteOnExit();
        }
    }
}
