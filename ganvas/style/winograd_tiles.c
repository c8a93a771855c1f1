/* Winograd F(m x m, 3 x 3) tile transforms for bf16, channels-last tensors, one pass each way.
 *
 * PyTorch's elementwise operators need a pass over memory per addition, so the transforms cost
 * several times the data they touch; here each input pixel is read and each tile written once, in
 * fp32 with a single rounding to bf16. Loaded through ctypes; ganvas falls back to its PyTorch
 * version of the same maths when no C compiler is available.
 *
 * With n = m + 2: images are [N, H, W, C] (channels_last); tiles are [n * n, rows * TW, C] for a
 * range of rows of tiles (TH = ceil(H / m) rows per image, TW = ceil(W / m) tiles per row), entry
 * n * a + b of a tile being row a, column b of B^T d B. The caller passes B^T (n x n) and A^T
 * (m x n), row-major.
 */
#include <stdint.h>
#include <string.h>

#define BLOCK 64
#define MAX_N 8

#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__)
#define VECTOR_CLONES __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define VECTOR_CLONES
#endif

static inline float from_bf16(uint16_t v) {
    uint32_t u = (uint32_t)v << 16;
    float f;
    memcpy(&f, &u, sizeof f);
    return f;
}

static inline uint16_t to_bf16(float f) {
    uint32_t u;
    memcpy(&u, &f, sizeof u);
    uint32_t nan = (u & 0x7fffffffu) > 0x7f800000u;
    uint32_t rounded = (u + 0x7fffu + ((u >> 16) & 1u)) >> 16;
    return (uint16_t)(nan ? (u >> 16) | 0x40u : rounded);
}

typedef struct {
    const uint16_t *src;
    uint16_t *dst;
    const uint16_t *bias; /* output transform only; may be NULL */
    const float *bt, *at; /* B^T [n][n], A^T [m][n] */
    long m, n_batch, h, w, c;
    long first_row, last_row; /* this job's rows of tiles, counted over the batch: b * TH + i */
    long base_row, rows;      /* the rows held by the tiles buffer */
} Job;

VECTOR_CLONES
static void input_rows(const Job *job) {
    const long m = job->m, n = m + 2, h = job->h, w = job->w, c = job->c;
    const long th = (h + m - 1) / m, tw = (w + m - 1) / m, plane = job->rows * tw * c;
    const float *bt = job->bt;
    float d[MAX_N][MAX_N][BLOCK], e[MAX_N][MAX_N][BLOCK];
    for (long row = job->first_row; row < job->last_row; row++) {
        const long b = row / th, i = row % th;
        for (long j = 0; j < tw; j++) {
            uint16_t *out = job->dst + ((row - job->base_row) * tw + j) * c;
            for (long c0 = 0; c0 < c; c0 += BLOCK) {
                const long len = c - c0 < BLOCK ? c - c0 : BLOCK;
                for (long r = 0; r < n; r++) {
                    const long y = m * i - 1 + r;
                    for (long s = 0; s < n; s++) {
                        const long x = m * j - 1 + s;
                        if (y < 0 || y >= h || x < 0 || x >= w) {
                            for (long k = 0; k < len; k++) d[r][s][k] = 0.0f;
                            continue;
                        }
                        const uint16_t *p = job->src + ((b * h + y) * w + x) * c + c0;
                        for (long k = 0; k < len; k++) d[r][s][k] = from_bf16(p[k]);
                    }
                }
                for (long a = 0; a < n; a++) {
                    for (long s = 0; s < n; s++) {
                        for (long k = 0; k < len; k++) e[a][s][k] = 0.0f;
                        for (long r = 0; r < n; r++) {
                            const float coef = bt[a * n + r];
                            if (coef == 0.0f) continue;
                            for (long k = 0; k < len; k++) e[a][s][k] += coef * d[r][s][k];
                        }
                    }
                }
                for (long a = 0; a < n; a++) {
                    for (long q = 0; q < n; q++) {
                        float v[BLOCK];
                        for (long k = 0; k < len; k++) v[k] = 0.0f;
                        for (long s = 0; s < n; s++) {
                            const float coef = bt[q * n + s];
                            if (coef == 0.0f) continue;
                            for (long k = 0; k < len; k++) v[k] += coef * e[a][s][k];
                        }
                        uint16_t *o = out + (a * n + q) * plane + c0;
                        for (long k = 0; k < len; k++) o[k] = to_bf16(v[k]);
                    }
                }
            }
        }
    }
}

VECTOR_CLONES
static void output_rows(const Job *job) {
    const long m = job->m, n = m + 2, h = job->h, w = job->w, c = job->c;
    const long th = (h + m - 1) / m, tw = (w + m - 1) / m, plane = job->rows * tw * c;
    const float *at = job->at;
    float t[MAX_N][MAX_N][BLOCK], s[MAX_N][MAX_N][BLOCK], bias[BLOCK];
    for (long row = job->first_row; row < job->last_row; row++) {
        const long b = row / th, i = row % th;
        for (long j = 0; j < tw; j++) {
            const uint16_t *in = job->src + ((row - job->base_row) * tw + j) * c;
            for (long c0 = 0; c0 < c; c0 += BLOCK) {
                const long len = c - c0 < BLOCK ? c - c0 : BLOCK;
                for (long a = 0; a < n; a++)
                    for (long q = 0; q < n; q++)
                        for (long k = 0; k < len; k++) t[a][q][k] = from_bf16(in[(a * n + q) * plane + c0 + k]);
                for (long k = 0; k < len; k++) bias[k] = job->bias ? from_bf16(job->bias[c0 + k]) : 0.0f;
                for (long p = 0; p < m; p++) {
                    for (long q = 0; q < n; q++) {
                        for (long k = 0; k < len; k++) s[p][q][k] = 0.0f;
                        for (long a = 0; a < n; a++) {
                            const float coef = at[p * n + a];
                            if (coef == 0.0f) continue;
                            for (long k = 0; k < len; k++) s[p][q][k] += coef * t[a][q][k];
                        }
                    }
                }
                for (long p = 0; p < m; p++) {
                    const long y = m * i + p;
                    if (y >= h) break;
                    for (long r = 0; r < m; r++) {
                        const long x = m * j + r;
                        if (x >= w) break;
                        float v[BLOCK];
                        for (long k = 0; k < len; k++) v[k] = bias[k];
                        for (long q = 0; q < n; q++) {
                            const float coef = at[r * n + q];
                            if (coef == 0.0f) continue;
                            for (long k = 0; k < len; k++) v[k] += coef * s[p][q][k];
                        }
                        uint16_t *o = job->dst + ((b * h + y) * w + x) * c + c0;
                        for (long k = 0; k < len; k++) o[k] = to_bf16(v[k]);
                    }
                }
            }
        }
    }
}

/* Rows of tiles are shared out with OpenMP: loaded into a PyTorch process, this is PyTorch's own
 * libgomp and thread pool, so these loops never compete with its spinning worker threads. */
static void parallel(void (*body)(const Job *), Job base, long threads) {
    const long rows = base.rows;
    if (threads < 1) threads = 1;
    if (threads > rows) threads = rows;
#pragma omp parallel for num_threads(threads) schedule(static)
    for (long t = 0; t < threads; t++) {
        Job job = base;
        job.first_row = base.base_row + rows * t / threads;
        job.last_row = base.base_row + rows * (t + 1) / threads;
        body(&job);
    }
}

/* Tiles for rows [first, first + rows) of tiles; `tiles` holds just those rows. */
int winograd_input_tiles(const uint16_t *image, uint16_t *tiles, const float *bt, long m, long n_batch, long h,
                         long w, long c, long first, long rows, long threads) {
    if (m < 1 || m + 2 > MAX_N) return -1;
    Job job = {image, tiles, NULL, bt, NULL, m, n_batch, h, w, c, 0, 0, first, rows};
    parallel(input_rows, job, threads);
    return 0;
}

/* The image pixels of rows [first, first + rows) of tiles, from `tiles` holding just those rows. */
int winograd_output_image(const uint16_t *tiles, uint16_t *image, const uint16_t *bias, const float *at, long m,
                          long n_batch, long h, long w, long c, long first, long rows, long threads) {
    if (m < 1 || m + 2 > MAX_N) return -1;
    Job job = {tiles, image, bias, NULL, at, m, n_batch, h, w, c, 0, 0, first, rows};
    parallel(output_rows, job, threads);
    return 0;
}
