/* Winograd F(m x m, 3 x 3) tile transforms for bf16, channels-last tensors, one pass each way.
 *
 * PyTorch's elementwise operators need a pass over memory per addition, so the transforms cost
 * several times the data they touch; here each input pixel is read and each tile written once, in
 * fp32 with a single rounding to bf16. Loaded through ctypes; ganvas falls back to its PyTorch
 * version of the same maths when no C compiler is available.
 *
 * With n = m + 2: images are [N, H, W, C] (channels_last); tiles are [n * n, rows * TW, C] for a
 * range of rows of tiles (TH = ceil(H / m) rows per image, TW = ceil(W / m) tiles per row), entry
 * n * a + b of a tile being row a, column b of B^T d B.
 *
 * The transform matrices are compile-time constants, so that the compiler folds away their zeros and
 * ones and keeps a tile's values in registers; they are those of winograd.transforms(m), and the tests
 * check this file's results against that PyTorch path.
 */
#include <stdint.h>
#include <string.h>

#define BLOCK 64

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
    long h, w, c;
    long first_row, last_row; /* this job's rows of tiles, counted over the batch: b * TH + i */
    long base_row, rows;      /* the rows held by the tiles buffer */
} Job;

static const float BT2[4][4] = {{-1, 0, 1, 0}, {0, 1, 1, 0}, {0, -1, 1, 0}, {0, -1, 0, 1}};
static const float AT2[2][4] = {{1, 1, 1, 0}, {0, 1, -1, 1}};
static const float BT3[5][5] = {{-2, -1, 2, 1, 0}, {0, 2, 3, 1, 0}, {0, -2, 1, 1, 0}, {0, -1, 0, 1, 0},
                                {0, -2, -1, 2, 1}};
static const float AT3[3][5] = {{1, 1, 1, 1, 0}, {0, 1, -1, -2, 0}, {0, 1, 1, 4, 1}};
static const float BT4[6][6] = {{4, 0, -5, 0, 1, 0}, {0, -4, -4, 1, 1, 0}, {0, 4, -4, -1, 1, 0},
                                {0, -2, -1, 2, 1, 0}, {0, 2, -1, -2, 1, 0}, {0, 4, 0, -5, 0, 1}};
static const float AT4[4][6] = {{1, 1, 1, 1, 1, 0}, {0, 1, -1, 2, -2, 0}, {0, 1, 1, 4, 4, 0}, {0, 1, -1, 8, -8, 1}};

static const uint16_t ZEROS[BLOCK]; /* stands in for the padding around the image */

/* y = matrix . x^T, with matrix [rows x inner] and x [cols x inner]: small and fully unrolled. */
static inline __attribute__((always_inline)) void times_transposed(const float *matrix, const int rows,
                                                                   const int inner, const int cols, float x[8][8],
                                                                   float y[8][8]) {
#pragma GCC unroll 8
    for (int a = 0; a < rows; a++)
#pragma GCC unroll 8
        for (int s = 0; s < cols; s++) {
            float v = 0.0f;
#pragma GCC unroll 8
            for (int r = 0; r < inner; r++) v += matrix[a * inner + r] * x[s][r];
            y[a][s] = v;
        }
}

/* M . x . M^T for tiles of `side` x `side` values, `out_side` x `out_side` out (+ bias, may be NULL), for
 * `len` channels at once: the input transform with M = B^T (out n), the output one with A^T (out m).
 * Done as (M . (M . x)^T)^T, so one unrolled product serves both halves. */
static inline __attribute__((always_inline)) void transform(const float *matrix, const int side, const int out_side,
                                                            const uint16_t **in, uint16_t **out,
                                                            const uint16_t *bias, const long len) {
    /* The input and output pointers never overlap: tiles and images are separate buffers. */
#pragma GCC ivdep
    for (long k = 0; k < len; k++) {
        float xt[8][8], half[8][8], yt[8][8];
#pragma GCC unroll 8
        for (int r = 0; r < side; r++)
#pragma GCC unroll 8
            for (int s = 0; s < side; s++) xt[s][r] = from_bf16(in[r * side + s][k]);
        times_transposed(matrix, out_side, side, side, xt, half);
        times_transposed(matrix, out_side, side, out_side, half, yt);
        const float offset = bias ? from_bf16(bias[k]) : 0.0f;
#pragma GCC unroll 8
        for (int a = 0; a < out_side; a++)
#pragma GCC unroll 8
            for (int b = 0; b < out_side; b++) out[a * out_side + b][k] = to_bf16(yt[b][a] + offset);
    }
}

static inline __attribute__((always_inline)) void input_rows(const Job *job, const int m, const float *bt) {
    const long n = m + 2, h = job->h, w = job->w, c = job->c;
    const long th = (h + m - 1) / m, tw = (w + m - 1) / m, plane = job->rows * tw * c;
    const uint16_t *in[64];
    uint16_t *out[64];
    for (long row = job->first_row; row < job->last_row; row++) {
        const long b = row / th, i = row % th;
        for (long j = 0; j < tw; j++) {
            uint16_t *tile = job->dst + ((row - job->base_row) * tw + j) * c;
            for (long c0 = 0; c0 < c; c0 += BLOCK) {
                const long len = c - c0 < BLOCK ? c - c0 : BLOCK;
                for (long r = 0; r < n; r++) {
                    const long y = m * i - 1 + r;
                    for (long s = 0; s < n; s++) {
                        const long x = m * j - 1 + s;
                        const int inside = y >= 0 && y < h && x >= 0 && x < w;
                        in[r * n + s] = inside ? job->src + ((b * h + y) * w + x) * c + c0 : ZEROS;
                        out[r * n + s] = tile + (r * n + s) * plane + c0;
                    }
                }
                transform(bt, n, n, in, out, NULL, len);
            }
        }
    }
}

static inline __attribute__((always_inline)) void output_rows(const Job *job, const int m, const float *at) {
    const long n = m + 2, h = job->h, w = job->w, c = job->c;
    const long th = (h + m - 1) / m, tw = (w + m - 1) / m, plane = job->rows * tw * c;
    const uint16_t *in[64];
    uint16_t *out[64], discard[BLOCK];
    for (long row = job->first_row; row < job->last_row; row++) {
        const long b = row / th, i = row % th;
        for (long j = 0; j < tw; j++) {
            const uint16_t *tile = job->src + ((row - job->base_row) * tw + j) * c;
            for (long c0 = 0; c0 < c; c0 += BLOCK) {
                const long len = c - c0 < BLOCK ? c - c0 : BLOCK;
                for (long t = 0; t < n * n; t++) in[t] = tile + t * plane + c0;
                for (long p = 0; p < m; p++) {
                    const long y = m * i + p;
                    for (long r = 0; r < m; r++) {
                        const long x = m * j + r;
                        const int inside = y < h && x < w;
                        out[p * m + r] = inside ? job->dst + ((b * h + y) * w + x) * c + c0 : discard;
                    }
                }
                transform(at, n, m, in, out, job->bias ? job->bias + c0 : ZEROS, len);
            }
        }
    }
}

static void input_rows_2(const Job *job) { input_rows(job, 2, &BT2[0][0]); }
static void input_rows_3(const Job *job) { input_rows(job, 3, &BT3[0][0]); }
static void input_rows_4(const Job *job) { input_rows(job, 4, &BT4[0][0]); }
static void output_rows_2(const Job *job) { output_rows(job, 2, &AT2[0][0]); }
static void output_rows_3(const Job *job) { output_rows(job, 3, &AT3[0][0]); }
static void output_rows_4(const Job *job) { output_rows(job, 4, &AT4[0][0]); }

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

typedef void (*Rows)(const Job *);
static const Rows INPUT_ROWS[] = {NULL, NULL, input_rows_2, input_rows_3, input_rows_4};
static const Rows OUTPUT_ROWS[] = {NULL, NULL, output_rows_2, output_rows_3, output_rows_4};

/* Tiles of F(m x m, 3 x 3) for rows [first, first + rows) of tiles; `tiles` holds just those rows. */
int winograd_input_tiles(const uint16_t *image, uint16_t *tiles, long m, long h, long w, long c, long first,
                         long rows, long threads) {
    if (m < 2 || m > 4) return -1;
    Job job = {image, tiles, NULL, h, w, c, 0, 0, first, rows};
    parallel(INPUT_ROWS[m], job, threads);
    return 0;
}

/* The image pixels of rows [first, first + rows) of tiles, from `tiles` holding just those rows. */
int winograd_output_image(const uint16_t *tiles, uint16_t *image, const uint16_t *bias, long m, long h, long w,
                          long c, long first, long rows, long threads) {
    if (m < 2 || m > 4) return -1;
    Job job = {tiles, image, bias, h, w, c, 0, 0, first, rows};
    parallel(OUTPUT_ROWS[m], job, threads);
    return 0;
}
