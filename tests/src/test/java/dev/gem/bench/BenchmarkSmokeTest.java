package dev.gem.bench;

import org.junit.jupiter.api.Test;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.TearDown;

import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The benchmarks' smoke mode for CI: every {@code @Benchmark} method of every benchmark class runs once, untimed, for
 * every value of its {@code type} and {@code repack} parameters, on a small shape ("smoke", a 16 MiB stream for the
 * bandwidth probe), and its result is checked against the scalar reference ({@code verify}). Timing belongs to JMH
 * (see BENCHMARKS.md), never to a unit test.
 */
class BenchmarkSmokeTest {
    /** Parameters the smoke run pins; the others run through every value the benchmark declares. */
    private static final Map<String, String> SMALL = Map.of("shape", "smoke", "footprint", "hot", "mib", "16", "tokens", "5");

    @Test
    void everyBenchmarkRunsOnceAndAgreesWithTheReference() throws Exception {
        int runs = 0;
        for (Class<?> c : new Class<?>[] {MatvecBench.class, MatmulBench.class, BandwidthBench.class}) {
            for (Map<String, String> params : combinations(c)) {
                Object bench = c.getDeclaredConstructor().newInstance();
                for (Map.Entry<String, String> p : params.entrySet()) set(c.getField(p.getKey()), bench, p.getValue());
                call(c, bench, Setup.class);
                try {
                    for (Method m : c.getMethods()) {
                        if (!m.isAnnotationPresent(Benchmark.class)) continue;
                        Object[] args = new Object[m.getParameterCount()];
                        for (int i = 0; i < args.length; i++) args[i] = m.getParameterTypes()[i].getDeclaredConstructor().newInstance();
                        m.invoke(bench, args);
                        runs++;
                    }
                    Method verify = c.getDeclaredMethod("verify");
                    verify.setAccessible(true);
                    verify.invoke(bench);
                } catch (java.lang.reflect.InvocationTargetException e) {
                    throw new AssertionError(c.getSimpleName() + " " + params + ": " + e.getCause(), e.getCause());
                } finally {
                    call(c, bench, TearDown.class);
                }
            }
        }
        assertEquals(2 * 15 * 2 + 1, runs, "benchmark methods run (matvec and matmul: 15 types x repack, bandwidth: 1)");
    }

    /** Every combination of the class's parameters, with the SMALL ones pinned and threads at 2. */
    private static List<Map<String, String>> combinations(Class<?> c) {
        List<Map<String, String>> out = new ArrayList<>();
        out.add(new java.util.HashMap<>());
        for (Field f : c.getFields()) {
            Param p = f.getAnnotation(Param.class);
            if (p == null) continue;
            String[] values = SMALL.containsKey(f.getName()) ? new String[] {SMALL.get(f.getName())}
                    : f.getName().equals("threads") ? new String[] {"2"} : p.value();
            List<Map<String, String>> next = new ArrayList<>();
            for (Map<String, String> m : out)
                for (String v : values) {
                    Map<String, String> copy = new java.util.HashMap<>(m);
                    copy.put(f.getName(), v);
                    next.add(copy);
                }
            out = next;
        }
        return out;
    }

    private static void set(Field f, Object o, String v) throws IllegalAccessException {
        if (f.getType() == int.class) f.setInt(o, Integer.parseInt(v));
        else if (f.getType() == boolean.class) f.setBoolean(o, Boolean.parseBoolean(v));
        else f.set(o, v);
    }

    private static void call(Class<?> c, Object o, Class<? extends java.lang.annotation.Annotation> a) throws Exception {
        for (Method m : c.getMethods()) if (m.isAnnotationPresent(a)) m.invoke(o);
    }
}
