// Writes the reference data of GoldenGgmlTest: what ggml itself produces for a fixed input.
// It is not part of the build (GEM has no native code); it documents where the golden files came from and lets them
// be remade. It links against ggml's own libggml-base (here node-llama-cpp 3.22.1's prebuilt copy, llama.cpp
// release tagged v0.5.0 there) and uses only its public entry points:
//   <TYPE>.q.gz    ggml_quantize_chunk(TYPE, input, 32 rows of 256, no imatrix): exactly what llama-quantize writes
//                  (for Q8_1 and Q8_K, which llama-quantize never writes, quantize_row_*_ref)
//   <TYPE>.rnd.gz  random bytes: whole blocks of TYPE, fp16/float fields included
//   <TYPE>.rnd.f32.gz  ggml's dequantize_row_* (to_float) of those bytes (none for F32 and Q8_1, which ggml
//                  does not decode through these entry points)
//   input.f32.gz   the 8192 input floats (little-endian float32)
//   procedural.txt FNV-1a 64 hashes of ggml's quantization of 2048 rows of 256 made by procedural_input(), which uses
//                  only integer and exact float operations so that GgmlGoldenTest can rebuild the same floats
//
// build: gcc -O2 -I$LLAMA/ggml/include -I$LLAMA/ggml/src make_golden.c -L$LIBDIR -lggml-base -lm -o make_golden
// run:   LD_LIBRARY_PATH=$LIBDIR ./make_golden OUTDIR && gzip -9n OUTDIR/*
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ggml.h"

void quantize_row_q8_1_ref(const float * x, void * y, int64_t k);
void quantize_row_q8_K_ref(const float * x, void * y, int64_t k);
void dequantize_row_q8_K(const void * x, float * y, int64_t k);

#define ROWS 32
#define ROW 256
#define N (ROWS * ROW)
#define RANDOM_ELEMENTS 2048

static uint64_t rng = 0x9E3779B97F4A7C15ull;
static uint64_t next(void) { rng ^= rng << 13; rng ^= rng >> 7; rng ^= rng << 17; return rng; }
static double uniform(void) { return (next() >> 11) * 0x1.0p-53; }
static double gauss(void) {
    double u = uniform() + 1e-300, v = uniform();
    return sqrt(-2 * log(u)) * cos(2 * M_PI * v);
}

static void put(const char * dir, const char * name, const void * data, size_t bytes) {
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE * f = fopen(path, "wb");
    if (!f || fwrite(data, 1, bytes, f) != bytes) { perror(path); exit(1); }
    fclose(f);
}

// Each row of 256 is one regime the quantizers treat specially.
static void make_input(float * x) {
    for (int r = 0; r < ROWS; r++) {
        float * y = x + r * ROW;
        for (int i = 0; i < ROW; i++) {
            double g = gauss();
            float v;
            switch (r) {
                case 0:  v = g; break;
                case 1:  v = 0.02 * g; break;                                 // typical weight scale
                case 2:  v = 2 * uniform() - 1; break;
                case 3:  v = (uniform() < 0.5 ? -1 : 1) * -log(uniform() + 1e-12); break; // heavy tail
                case 4:  v = 0; break;                                        // all zero
                case 5:  v = 0.5f; break;                                     // constant
                case 6:  v = -0.75f; break;                                   // negative constant
                case 7:  v = i == 77 ? 1000.f : 0.01 * g; break;              // one huge value
                case 8:  v = i == 200 ? -1000.f : 0.01 * g; break;            // one huge negative value
                case 9:  v = 2 * uniform(); break;                            // all positive
                case 10: v = -2 * uniform(); break;                           // all negative
                case 11: v = 1e-6 * g; break;                                 // fp16 scales go subnormal
                case 12: v = 1e-20 * g; break;                                // below ggml's group epsilon
                case 13: v = (i / 32) % 2 ? 0 : g; break;                     // zero sub-blocks inside a super-block
                case 14: v = (int)(16 * uniform()) - 8; break;                // integers: exact ties in 4-bit grids
                case 15: v = (i % 32 == 0) ? 127 : (int)(254 * uniform()) - 127 + 0.5f; break; // x.5 ties for Q8
                case 16: v = 2e5 * g; break;                                  // fp16 overflow of scales
                case 17: v = uniform() < 0.9 ? 0 : g; break;                  // sparse
                case 18: v = g + 3; break;                                    // offset: mins matter
                case 19: v = g - 3; break;
                case 20: v = ldexpf(1.f - 0x1p-24f, (i % 64) - 20) * (i % 2 ? -1 : 1); break; // just below powers of 2
                case 21: v = ldexpf(1.f, (i % 40) - 20) * (i % 3 ? 1 : -1); break;           // exact powers of 2
                case 22: v = 0.001 * g; break;
                case 23: v = 30 * g; break;
                case 24: v = (i % 16 == 0) ? 4 * g : 0.05 * g; break;         // outlier in every 16
                case 25: v = sin(i * 0.1); break;
                case 26: v = i - 128; break;                                  // ramp
                case 27: v = (i % 2 ? 1 : -1) * (float)(i % 17); break;
                case 28: v = g * g * g; break;
                case 29: v = 1e-3 * (int)(16 * uniform()); break;
                case 30: v = 6e4 * (2 * uniform() - 1); break;                // near fp16's largest finite
                default: v = g * exp(3 * (uniform() - 0.5)); break;
            }
            y[i] = v;
        }
    }
}

// Integer sums of four 22-bit draws (roughly Gaussian; uniform 24-bit draws on odd rows), exact in float, scaled by a power of two per row; some zeros,
// rare outliers and a per-row offset. Every step is exact or a single IEEE float operation, so Java reproduces it.
static void procedural_input(float * x, int rows) {
    uint64_t s = 0x2545F4914F6CDD1Dull;
    for (int r = 0; r < rows; r++) {
        float scale = ldexpf(1.f, (r % 17) - 8 - 23);
        float offset = (r % 5 == 0) ? ldexpf(0.75f, (r % 17) - 8) : 0.f;
        for (int i = 0; i < ROW; i++) {
            int32_t c = 0;
            if (r % 2) { s ^= s << 13; s ^= s >> 7; s ^= s << 17; c = (int32_t)(s >> 40); }   // uniform rows
            else for (int k = 0; k < 4; k++) { s ^= s << 13; s ^= s >> 7; s ^= s << 17; c += (int32_t)(s >> 42); }
            c -= 1 << 23;
            s ^= s << 13; s ^= s >> 7; s ^= s << 17;
            uint32_t u = (uint32_t)(s >> 32);
            float v = (float) c * scale;
            if ((u & 15) == 0) v = 0.f;
            else if ((u >> 8 & 255) == 0) v = v * 64.f;
            x[r * ROW + i] = v + offset;
        }
    }
}

static uint64_t fnv1a(const uint8_t * p, size_t n) {
    uint64_t h = 0xcbf29ce484222325ull;
    for (size_t i = 0; i < n; i++) { h ^= p[i]; h *= 0x100000001b3ull; }
    return h;
}

int main(int argc, char ** argv) {
    if (argc != 2) { fprintf(stderr, "usage: make_golden OUTDIR\n"); return 2; }
    const char * dir = argv[1];
    static float x[N];
    make_input(x);
    put(dir, "input.f32", x, sizeof x);

    const enum ggml_type types[] = {
        GGML_TYPE_F32, GGML_TYPE_F16, GGML_TYPE_BF16, GGML_TYPE_Q8_0, GGML_TYPE_Q4_0, GGML_TYPE_Q4_1,
        GGML_TYPE_Q5_0, GGML_TYPE_Q5_1, GGML_TYPE_Q8_1, GGML_TYPE_Q8_K, GGML_TYPE_Q2_K, GGML_TYPE_Q3_K,
        GGML_TYPE_Q4_K, GGML_TYPE_Q5_K, GGML_TYPE_Q6_K, GGML_TYPE_IQ4_NL, GGML_TYPE_IQ4_XS, GGML_TYPE_MXFP4,
    };
    const int proc_rows = 2048;
    float * px = malloc(sizeof(float) * proc_rows * ROW);
    procedural_input(px, proc_rows);
    char hpath[512];
    snprintf(hpath, sizeof hpath, "%s/procedural.txt", dir);
    FILE * hashes = fopen(hpath, "w");
    if (!hashes) { perror(hpath); return 1; }
    fprintf(hashes, "# FNV-1a 64 of ggml's quantization of procedural_input(2048 rows of 256)\n");
    fprintf(hashes, "INPUT %016llx\n", (unsigned long long) fnv1a((const uint8_t *) px, sizeof(float) * proc_rows * ROW));

    for (size_t t = 0; t < sizeof types / sizeof types[0]; t++) {
        enum ggml_type type = types[t];
        const char * name = ggml_type_name(type);
        char upper[32], file[64];
        for (int i = 0; ; i++) { upper[i] = (char)(name[i] >= 'a' && name[i] <= 'z' ? name[i] - 32 : name[i]); if (!name[i]) break; }

        size_t bytes = ggml_row_size(type, N);
        uint8_t * q = calloc(1, bytes);
        if (type == GGML_TYPE_Q8_1) quantize_row_q8_1_ref(x, q, N);
        else if (type == GGML_TYPE_Q8_K) quantize_row_q8_K_ref(x, q, N);
        else ggml_quantize_chunk(type, x, q, 0, ROWS, ROW, NULL);
        snprintf(file, sizeof file, "%s.q", upper);
        put(dir, file, q, bytes);
        free(q);

        size_t pbytes = ggml_row_size(type, (int64_t) proc_rows * ROW);
        uint8_t * pq = calloc(1, pbytes);
        if (type == GGML_TYPE_Q8_1) quantize_row_q8_1_ref(px, pq, (int64_t) proc_rows * ROW);
        else if (type == GGML_TYPE_Q8_K) quantize_row_q8_K_ref(px, pq, (int64_t) proc_rows * ROW);
        else ggml_quantize_chunk(type, px, pq, 0, proc_rows, ROW, NULL);
        fprintf(hashes, "%s %016llx\n", upper, (unsigned long long) fnv1a(pq, pbytes));
        free(pq);

        const struct ggml_type_traits * tr = ggml_get_type_traits(type);
        ggml_to_float_t to_float = type == GGML_TYPE_Q8_K ? (ggml_to_float_t) dequantize_row_q8_K : tr->to_float;
        if (!to_float) continue;                          // Q8_1: ggml never decodes it
        size_t rbytes = ggml_row_size(type, RANDOM_ELEMENTS);
        uint8_t * r = malloc(rbytes);
        for (size_t i = 0; i < rbytes; i++) r[i] = (uint8_t) next();
        float * y = malloc(RANDOM_ELEMENTS * sizeof(float));
        to_float(r, y, RANDOM_ELEMENTS);
        snprintf(file, sizeof file, "%s.rnd", upper);
        put(dir, file, r, rbytes);
        snprintf(file, sizeof file, "%s.rnd.f32", upper);
        put(dir, file, y, RANDOM_ELEMENTS * sizeof(float));
        free(r); free(y);
    }
    fclose(hashes);
    return 0;
}
