package dev.gem.bench;

import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.State;

/** Gigabytes read, as a rate: JMH divides the counter by the time and prints it in the ·/s column (GB/s). */
@AuxCounters(AuxCounters.Type.OPERATIONS)
@State(org.openjdk.jmh.annotations.Scope.Thread)
public class Traffic {
    public double gb;
}
