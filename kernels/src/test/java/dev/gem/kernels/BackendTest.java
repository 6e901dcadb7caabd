package dev.gem.kernels;

import dev.gem.kernels.simd.VectorKernels;
import org.junit.jupiter.api.Test;

import static dev.gem.kernels.KernelTesting.requestedBits;
import static dev.gem.kernels.KernelTesting.widthMissing;
import static org.junit.jupiter.api.Assertions.*;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** The backend this JVM chose is the one -Dgem.vectorBits asked for, or a clear error. */
class BackendTest {

    @Test
    void forcedWidthIsReported() {
        int bits = requestedBits();
        assumeTrue(bits >= 0, "gem.vectorBits not set: nothing forced");
        if (widthMissing()) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, Backend::get);
            assertTrue(e.getMessage().contains("at most " + VectorKernels.maxBits()), e.getMessage());
            return;
        }
        Kernels k = Backend.get();
        assertEquals(bits, k.vectorBits());
        if (bits == 0) {
            assertInstanceOf(ScalarKernels.class, k);
            assertEquals("scalar", k.name());
        } else {
            assertInstanceOf(VectorKernels.class, k);
            assertEquals("vector-" + bits, k.name());
        }
        assertTrue(Backend.reason().contains("-Dgem.vectorBits=" + bits), Backend.reason());
        assertSame(k, Backend.get(), "chosen once per JVM");
    }

    @Test
    void vectorKernelsRefuseAnyOtherWidthInThisJvm() {
        assumeTrue(!widthMissing());
        int mine = VectorKernels.initialisedBits();
        assertEquals(mine, VectorKernels.create(mine).vectorBits());
        if (requestedBits() >= 128) assertEquals(requestedBits(), mine, "the forced width");
        for (int other : new int[] {128, 256, 512}) {
            if (other == mine || other > VectorKernels.maxBits()) continue;
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> VectorKernels.create(other));
            assertTrue(e.getMessage().contains("one width per JVM"), e.getMessage());
        }
        IllegalArgumentException bad = assertThrows(IllegalArgumentException.class, () -> VectorKernels.create(64));
        assertTrue(bad.getMessage().contains("128, 256 or 512"), bad.getMessage());
        if (VectorKernels.maxBits() < 512) {
            IllegalArgumentException lacking = assertThrows(IllegalArgumentException.class, () -> VectorKernels.create(512));
            assertTrue(lacking.getMessage().contains("at most"), lacking.getMessage());
        }
    }
}
