package dev.gem.format;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * A model file's key/value metadata, in file order, with typed accessors.
 * Values are held as: Integer/Long/Short/Byte for integers (unsigned ones widened to fit), Float, Double, Boolean, String,
 * and arrays as {@code String[]}, {@code int[]} (8-32 bit integers), {@code long[]}, {@code float[]}, {@code double[]},
 * {@code boolean[]} or {@code Object[]} (arrays of arrays).
 * Accessors name the file and the key when a value is missing or of the wrong kind.
 */
public final class Metadata {
    private final String file;
    private final Map<String, Object> values = new LinkedHashMap<>();
    private final Map<String, GgufType> types = new LinkedHashMap<>();
    private final Map<String, GgufType> elementTypes = new java.util.HashMap<>();

    public Metadata(String file) {
        this.file = file;
    }

    public String file() { return file; }

    public void put(String key, GgufType type, Object value) {
        values.put(key, value);
        types.put(key, type);
    }

    /** Stores an array together with the element type it had in the file. */
    public void putArray(String key, GgufType elementType, Object value) {
        put(key, GgufType.ARRAY, value);
        elementTypes.put(key, elementType);
    }

    /** For an array key, the type of its elements in the file (null when unknown or not an array). */
    public GgufType elementType(String key) { return elementTypes.get(key); }

    public boolean has(String key) { return values.containsKey(key); }

    public Set<String> keys() { return Collections.unmodifiableSet(values.keySet()); }

    public Object get(String key) { return values.get(key); }

    /** The GGUF type a key was stored with (for arrays, ARRAY), or null when absent. */
    public GgufType type(String key) { return types.get(key); }

    public String getString(String key) throws ModelFileException {
        return as(key, String.class, "a string");
    }

    public String getString(String key, String dflt) throws ModelFileException {
        return has(key) ? getString(key) : dflt;
    }

    public long getLong(String key) throws ModelFileException {
        Object v = require(key);
        if (v instanceof Number n && !(v instanceof Float) && !(v instanceof Double)) return n.longValue();
        throw wrong(key, "an integer", v);
    }

    public int getInt(String key) throws ModelFileException {
        long v = getLong(key);
        if (v < Integer.MIN_VALUE || v > Integer.MAX_VALUE)
            throw new ModelFileException(file, "metadata key " + key + " = " + v + " is out of range");
        return (int) v;
    }

    public int getInt(String key, int dflt) throws ModelFileException {
        return has(key) ? getInt(key) : dflt;
    }

    public float getFloat(String key) throws ModelFileException {
        Object v = require(key);
        if (v instanceof Number n) return n.floatValue();
        throw wrong(key, "a number", v);
    }

    public float getFloat(String key, float dflt) throws ModelFileException {
        return has(key) ? getFloat(key) : dflt;
    }

    public boolean getBool(String key, boolean dflt) throws ModelFileException {
        if (!has(key)) return dflt;
        Object v = values.get(key);
        if (v instanceof Boolean b) return b;
        throw wrong(key, "a boolean", v);
    }

    public String[] getStringArray(String key) throws ModelFileException {
        return as(key, String[].class, "an array of strings");
    }

    public float[] getFloatArray(String key) throws ModelFileException {
        Object v = require(key);
        if (v instanceof float[] f) return f;
        if (v instanceof double[] d) {
            float[] f = new float[d.length];
            for (int i = 0; i < d.length; i++) f[i] = (float) d[i];
            return f;
        }
        throw wrong(key, "an array of floats", v);
    }

    public int[] getIntArray(String key) throws ModelFileException {
        Object v = require(key);
        if (v instanceof int[] a) return a;
        if (v instanceof long[] l) {
            int[] a = new int[l.length];
            for (int i = 0; i < l.length; i++) a[i] = Math.toIntExact(l[i]);
            return a;
        }
        throw wrong(key, "an array of integers", v);
    }

    /** An integer array, or a single integer repeated {@code n} times (GGUF stores per-layer values either way). */
    public int[] getIntPerLayer(String key, int n, int dflt) throws ModelFileException {
        int[] out = new int[n];
        if (!has(key)) {
            java.util.Arrays.fill(out, dflt);
            return out;
        }
        Object v = values.get(key);
        if (v instanceof int[] || v instanceof long[]) {
            int[] a = getIntArray(key);
            if (a.length != n) throw new ModelFileException(file, "metadata key " + key + " has " + a.length + " values, expected " + n);
            return a;
        }
        java.util.Arrays.fill(out, getInt(key));
        return out;
    }

    private Object require(String key) throws ModelFileException {
        Object v = values.get(key);
        if (v == null) throw new ModelFileException(file, "missing required metadata key " + key);
        return v;
    }

    private <T> T as(String key, Class<T> cls, String what) throws ModelFileException {
        Object v = require(key);
        if (cls.isInstance(v)) return cls.cast(v);
        throw wrong(key, what, v);
    }

    private ModelFileException wrong(String key, String expected, Object v) {
        return new ModelFileException(file, "metadata key " + key + " should be " + expected + " but is a " + types.get(key)
                + (v.getClass().isArray() ? " array" : " (" + v + ")"));
    }
}
