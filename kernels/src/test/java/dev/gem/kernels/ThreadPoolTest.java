package dev.gem.kernels;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.*;

@Timeout(60)
class ThreadPoolTest {

    @Test
    void rangesCoverEveryIndexExactlyOnce() {
        for (int threads : new int[] {1, 2, 3, 4, 7, 16, 33}) {
            try (ThreadPool pool = new ThreadPool(threads)) {
                for (int n : new int[] {1, 2, 3, 5, 7, 31, 32, 33, 97, 1001, 4099}) {
                    // Many rounds on the same pool: workers must see every new task, never a stale one.
                    // (Fewer rounds for pools far larger than the machine: their spinning workers share two cores.)
                    for (int round = 0, rounds = threads <= 4 ? 20 : 4; round < rounds; round++) {
                        AtomicIntegerArray hits = new AtomicIntegerArray(n);
                        AtomicInteger calls = new AtomicInteger();
                        int fn = n;
                        pool.forRange(n, (start, end) -> {
                            assertTrue(0 <= start && start < end && end <= fn, start + ".." + end);
                            calls.incrementAndGet();
                            for (int i = start; i < end; i++) hits.incrementAndGet(i);
                        });
                        for (int i = 0; i < n; i++)
                            assertEquals(1, hits.get(i), "threads " + threads + ", n " + n + ", index " + i);
                        assertTrue(calls.get() <= Math.min(threads, n), "one chunk per thread at most");
                    }
                }
            }
        }
    }

    @Test
    void emptyRangeRunsNothing() {
        try (ThreadPool pool = new ThreadPool(3)) {
            pool.forRange(0, (s, e) -> fail("ran on an empty range"));
        }
    }

    @Test
    void workIsSpreadOverThreads() {
        try (ThreadPool pool = new ThreadPool(4)) {
            Set<Thread> seen = ConcurrentHashMap.newKeySet();
            pool.forRange(4, (s, e) -> seen.add(Thread.currentThread()));
            assertEquals(4, seen.size(), "four chunks on four distinct threads");
            assertTrue(seen.contains(Thread.currentThread()), "the caller runs chunk 0");
        }
    }

    @Test
    void exceptionInAWorkerReachesTheCaller() {
        try (ThreadPool pool = new ThreadPool(4)) {
            IllegalStateException boom = new IllegalStateException("boom");
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> pool.forRange(100, (s, end) -> {
                if (s > 0) throw boom; // only worker chunks fail
            }));
            assertSame(boom, e);
            // An Error too, and from the caller's own chunk.
            AssertionError err = new AssertionError("caller");
            assertSame(err, assertThrows(AssertionError.class, () -> pool.forRange(100, (s, end) -> {
                if (s == 0) throw err;
            })));
            // The pool still works afterwards, and the old failure does not leak into the next call.
            AtomicInteger sum = new AtomicInteger();
            pool.forRange(100, (s, end) -> sum.addAndGet(end - s));
            assertEquals(100, sum.get());
        }
    }

    @Test
    void checkedExceptionIsWrapped() {
        try (ThreadPool pool = new ThreadPool(2)) {
            Exception checked = new Exception("checked");
            RuntimeException e = assertThrows(RuntimeException.class, () -> pool.forRange(10, (s, end) -> {
                if (s > 0) sneakyThrow(checked);
            }));
            assertSame(checked, e.getCause());
        }
    }

    @SuppressWarnings("unchecked")
    private static <T extends Throwable> void sneakyThrow(Throwable t) throws T {
        throw (T) t;
    }

    @Test
    void closeStopsTheWorkersAndRejectsWork() throws InterruptedException {
        ThreadPool pool = new ThreadPool(5);
        Set<Thread> workers = ConcurrentHashMap.newKeySet();
        pool.forRange(5, (s, e) -> workers.add(Thread.currentThread()));
        workers.remove(Thread.currentThread());
        assertEquals(4, workers.size());
        pool.close();
        for (Thread t : workers) {
            t.join(10_000);
            assertFalse(t.isAlive(), t.getName() + " still running after close");
        }
        assertThrows(IllegalStateException.class, () -> pool.forRange(10, (s, e) -> {}));
        assertThrows(IllegalStateException.class, () -> pool.forRange(1, (s, e) -> {}), "even a one-element range");
        pool.close(); // idempotent
    }

    @Test
    void rejectsFewerThanOneThread() {
        assertThrows(IllegalArgumentException.class, () -> new ThreadPool(0));
    }
}
