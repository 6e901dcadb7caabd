package dev.gem.kernels;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;

/**
 * GEM's own fixed pool of worker threads for data-parallel kernels. Work is split statically: range [0, n) is cut into
 * one contiguous chunk per thread, and the calling thread runs chunk 0 itself, so a pool of T threads starts T-1
 * workers. Workers spin briefly before parking, because decoding issues hundreds of small parallel steps per token and
 * waking a parked thread costs more than most of those steps.
 *
 * <p>Not re-entrant: one {@link #forRange} at a time (the engine drives one forward pass per model at a time).
 */
public final class ThreadPool implements AutoCloseable {
    /** A slice of a parallel loop: handle indices [start, end). */
    @FunctionalInterface
    public interface Range {
        void run(int start, int end);
    }

    private static final int SPIN = 20_000;

    private final int threads;
    private final Thread[] workers;
    private final AtomicInteger pending = new AtomicInteger();
    private final AtomicReference<Throwable> failure = new AtomicReference<>();
    private volatile long generation;
    private volatile boolean closed;
    private Range task;
    private int n;
    private final Thread[] waiting;

    public ThreadPool(int threads) {
        if (threads < 1) throw new IllegalArgumentException("threads must be at least 1, got " + threads);
        this.threads = threads;
        this.workers = new Thread[threads - 1];
        this.waiting = new Thread[1];
        for (int i = 1; i < threads; i++) {
            final int id = i;
            Thread t = new Thread(() -> work(id), "gem-worker-" + i);
            t.setDaemon(true);
            workers[i - 1] = t;
            t.start();
        }
    }

    public int threads() { return threads; }

    /**
     * Below this many units of work (about one multiply-add each) a parallel step costs more in hand-offs than it
     * saves, so it runs on the calling thread.
     */
    public static final long MIN_PARALLEL_WORK = 1L << 16;

    /**
     * Like {@link #forRange(int, Range)}, but runs on the calling thread when {@code n * workPerItem} is too small
     * to be worth waking the workers for.
     */
    public void forRange(int n, long workPerItem, Range body) {
        if ((long) n * workPerItem < MIN_PARALLEL_WORK) {
            if (n > 0) body.run(0, n);
        } else {
            forRange(n, body);
        }
    }

    /** Runs {@code body} over [0, n) split into one contiguous chunk per thread; returns when all chunks are done. */
    public void forRange(int n, Range body) {
        if (closed) throw new IllegalStateException("thread pool is closed");
        if (n <= 0) return;
        if (threads == 1 || n == 1) {
            body.run(0, n);
            return;
        }
        this.task = body;
        this.n = n;
        failure.set(null);
        pending.set(threads - 1);
        waiting[0] = Thread.currentThread();
        generation = generation + 1; // publishes task and n
        for (Thread w : workers) LockSupport.unpark(w);
        try {
            runChunk(0, body, n);
        } catch (Throwable e) {
            failure.compareAndSet(null, e);
        }
        int spins = 0;
        while (pending.get() != 0) {
            if (++spins < SPIN) Thread.onSpinWait();
            else LockSupport.parkNanos(this, 50_000);
        }
        task = null;
        Throwable f = failure.get();
        if (f instanceof RuntimeException re) throw re;
        if (f instanceof Error er) throw er;
        if (f != null) throw new RuntimeException(f);
    }

    private void runChunk(int id, Range body, int n) {
        int start = (int) ((long) n * id / threads);
        int end = (int) ((long) n * (id + 1) / threads);
        if (start < end) body.run(start, end);
    }

    private void work(int id) {
        long seen = 0;
        while (true) {
            int spins = 0;
            while (generation == seen && !closed) {
                if (++spins < SPIN) Thread.onSpinWait();
                else LockSupport.park(this);
            }
            if (closed) return;
            seen = generation;
            try {
                runChunk(id, task, n);
            } catch (Throwable e) {
                failure.compareAndSet(null, e);
            }
            if (pending.decrementAndGet() == 0) LockSupport.unpark(waiting[0]);
        }
    }

    @Override
    public void close() {
        closed = true;
        for (Thread w : workers) LockSupport.unpark(w);
    }

    /** The default thread count: every processor the JVM may use. */
    public static int defaultThreads() {
        return Runtime.getRuntime().availableProcessors();
    }
}
