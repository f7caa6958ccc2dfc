// 3×3 stride-1 pad-1 convolution by Winograd's minimal filtering F(4×4, 3×3) (Lavin & Gray, CVPR 2016), for CPU
// inference on channels-last (NHWC) float activations: 4× fewer multiplications in the channel contraction than a
// direct convolution, at a float error of about 1e-5 of the output's magnitude.
//
// One call convolves several inputs with the same weights (the head's towers run on all FPN levels at once). Tiles of
// 4×4 outputs (6×6 inputs) from every input form one list; each thread takes chunks of at most TILE_CHUNK tiles (fewer
// when there are few tiles, so that every thread gets about three) and runs the three steps on them alone, in buffers
// of its own that stay in its caches:
//   1. input transform  V[ξ][t][c] = (Bᵀ d B)[ξ]           (36 planes, 6 tiles interleaved per group of channels)
//   2. contraction      M[ξ][t][k] = Σ_c V[ξ][t][c] U[ξ][c][k]   (36 small matrix products, our own AVX2 or AVX-512 kernel)
//   3. output transform y = Aᵀ m A + bias, cropped at the borders
// U = G g Gᵀ is computed once per weight (dw_wino_pack_weights) in the kernel's panel order.
//
// For training, the gradient of the input is the same convolution of the output's gradient with the weights turned
// over (dw_wino_pack_weights_transposed), and the gradient of the weights is Winograd's transpose
// (dw_wino_conv3x3_grad_weight): dM = A dy Aᵀ per tile, dU[ξ] = Σ_t dM[ξ][t]ᵀ V[ξ][t], dg = Gᵀ dU G.
//
// The kernels need AVX2 and FMA (checked at run time: dw_wino_supported; AVX-512F is used where present, the
// transforms shared with AVX2 through dw_winograd_transforms.inc), C and K multiples of 8 and 16. Threads are
// libtorch's OpenMP threads (libgomp is shared), so this never runs beside an idle spinning pool.
#ifndef DW_WINOGRAD_H
#define DW_WINOGRAD_H

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <cstdio>
#include <memory>
#include <mutex>
#include <omp.h>
#include <immintrin.h>

namespace dw_wino {

constexpr int TILE_GROUP = 6;                 // rows of the contraction's register block
constexpr int K_BLOCK = 16;                   // columns of the register block (two 8-float vectors)
constexpr int TILE_CHUNK = 16 * TILE_GROUP;   // most tiles per thread work item (V and M: 36·96·C floats each)

struct AlignedFree {
    void operator()(float* p) const { std::free(p); }
};

inline float* aligned_floats(size_t n) {
    size_t bytes = ((n * sizeof(float) + 63) / 64) * 64;
    return static_cast<float*>(std::aligned_alloc(64, bytes));
}

// Where tile t of the call's list lies: input/output number, image, tile row and column.
struct TileMap {
    int inputs, n;
    const int* h;
    const int* w;
    int64_t first[65];   // first tile of each input (at most 64 inputs)

    void locate(int64_t t, int& in, int& img, int& ty, int& tx) const {
        in = 0;
        while (t >= first[in + 1]) in++;
        int64_t r = t - first[in];
        int tw = (w[in] + 3) / 4, th = (h[in] + 3) / 4;
        img = static_cast<int>(r / (static_cast<int64_t>(th) * tw));
        r -= static_cast<int64_t>(img) * th * tw;
        ty = static_cast<int>(r / tw);
        tx = static_cast<int>(r % tw);
    }
};

#pragma GCC push_options
#pragma GCC target("avx2,fma")

#define DW_VEC __m256
#define DW_OP(op) _mm256_##op
#define DW_LANES 8
#define DW_FN(name) name
#include "dw_winograd_transforms.inc"
#undef DW_VEC
#undef DW_OP
#undef DW_LANES
#undef DW_FN

// Step 2 for one ξ: M[t][k] (groups·6 rows, K columns) = V[t][c] times the U panel (K/16 × C × 16).
static void contract(const float* V, const float* U, int groups, int C, int K, float* M) {
    for (int kb = 0; kb < K / K_BLOCK; kb++) {
        const float* u = U + static_cast<int64_t>(kb) * C * K_BLOCK;
        for (int g = 0; g < groups; g++) {
            const float* v = V + static_cast<int64_t>(g) * TILE_GROUP * C;
            __m256 acc[TILE_GROUP][2];
            for (int r = 0; r < TILE_GROUP; r++) acc[r][0] = acc[r][1] = _mm256_setzero_ps();
            for (int c = 0; c < C; c++) {
                __m256 u0 = _mm256_load_ps(u + c * K_BLOCK), u1 = _mm256_load_ps(u + c * K_BLOCK + 8);
                for (int r = 0; r < TILE_GROUP; r++) {
                    __m256 vv = _mm256_broadcast_ss(v + r * C + c);
                    acc[r][0] = _mm256_fmadd_ps(vv, u0, acc[r][0]);
                    acc[r][1] = _mm256_fmadd_ps(vv, u1, acc[r][1]);
                }
            }
            float* m = M + static_cast<int64_t>(g) * TILE_GROUP * K + kb * K_BLOCK;
            for (int r = 0; r < TILE_GROUP; r++) {
                _mm256_storeu_ps(m + r * K, acc[r][0]);
                _mm256_storeu_ps(m + r * K + 8, acc[r][1]);
            }
        }
    }
}

// Rows of the weight-gradient contraction's register block (output channels, broadcast) and its columns (input
// channels, two vectors).
constexpr int K_GROUP = 6;
constexpr int C_BLOCK = 16;

// dU[k][c] (+)= Σ_t dM[t][k] V[t][c] for one ξ (dM: T × K, V: T × C rows) and one 16-column panel of C. The last
// block of rows may read up to 5 floats past a row of dM (the buffer has slack); those rows are not stored.
static void contract_grad(const float* dM, const float* V, int T, int K, int C, int cb, bool accumulate, float* dU) {
    const float* v = V + cb * C_BLOCK;
    for (int k0 = 0; k0 < K; k0 += K_GROUP) {
        __m256 acc[K_GROUP][2];
        for (int r = 0; r < K_GROUP; r++) acc[r][0] = acc[r][1] = _mm256_setzero_ps();
        const float* m = dM + k0;
        for (int t = 0; t < T; t++) {
            __m256 v0 = _mm256_loadu_ps(v + static_cast<int64_t>(t) * C), v1 = _mm256_loadu_ps(v + static_cast<int64_t>(t) * C + 8);
            const float* mt = m + static_cast<int64_t>(t) * K;
            for (int r = 0; r < K_GROUP; r++) {
                __m256 mm = _mm256_broadcast_ss(mt + r);
                acc[r][0] = _mm256_fmadd_ps(mm, v0, acc[r][0]);
                acc[r][1] = _mm256_fmadd_ps(mm, v1, acc[r][1]);
            }
        }
        for (int r = 0; r < K_GROUP && k0 + r < K; r++) {
            float* u = dU + static_cast<int64_t>(k0 + r) * C + cb * C_BLOCK;
            if (accumulate) {
                acc[r][0] = _mm256_add_ps(acc[r][0], _mm256_loadu_ps(u));
                acc[r][1] = _mm256_add_ps(acc[r][1], _mm256_loadu_ps(u + 8));
            }
            _mm256_storeu_ps(u, acc[r][0]);
            _mm256_storeu_ps(u + 8, acc[r][1]);
        }
    }
}

#pragma GCC pop_options

// The contractions (most of the time) and the transforms again with 16-float vectors where the CPU has AVX-512. The
// register blocks hold 24 accumulators where AVX2's hold 12: 12 tile rows × 2 panels for the forward, 6 output
// channels × 4 vectors of input channels for the weight gradient. Same panels, and every output adds its products in
// the same order (c = 0, 1, ... or t = 0, 1, ... into one accumulator) with the same multiply-adds, so the results are
// the same bits as AVX2's.
#pragma GCC push_options
#pragma GCC target("avx512f,fma")

#define DW_VEC __m512
#define DW_OP(op) _mm512_##op
#define DW_LANES 16
#define DW_FN(name) name##512
#include "dw_winograd_transforms.inc"
#undef DW_VEC
#undef DW_OP
#undef DW_LANES
#undef DW_FN

// R rows of M (one or two tile groups) for panels [kb, kb+P): u points at panel kb, m at the rows' first, column kb·16.
template <int R, int P>
static inline void contract_block512(const float* v, const float* u, int C, int K, float* m) {
    __m512 acc[R][P];
    for (int r = 0; r < R; r++)
        for (int p = 0; p < P; p++) acc[r][p] = _mm512_setzero_ps();
    const int64_t pstride = static_cast<int64_t>(C) * K_BLOCK;
    for (int c = 0; c < C; c++) {
        __m512 up[P];
        for (int p = 0; p < P; p++) up[p] = _mm512_loadu_ps(u + p * pstride + c * K_BLOCK);
        for (int r = 0; r < R; r++) {
            const __m512 vv = _mm512_set1_ps(v[r * C + c]);
            for (int p = 0; p < P; p++) acc[r][p] = _mm512_fmadd_ps(vv, up[p], acc[r][p]);
        }
    }
    for (int r = 0; r < R; r++)
        for (int p = 0; p < P; p++) _mm512_storeu_ps(m + r * K + p * K_BLOCK, acc[r][p]);
}

// Two panels (32 KB of U at C = 256, which stays in L1) against 12 rows at a time.
static void contract512(const float* V, const float* U, int groups, int C, int K, float* M) {
    const int panels = K / K_BLOCK;
    for (int kb = 0; kb < panels; kb += 2) {
        const float* u = U + static_cast<int64_t>(kb) * C * K_BLOCK;
        const bool two = kb + 2 <= panels;
        int g = 0;
        for (; two && g + 2 <= groups; g += 2)
            contract_block512<2 * TILE_GROUP, 2>(V + static_cast<int64_t>(g) * TILE_GROUP * C, u, C, K,
                                                 M + static_cast<int64_t>(g) * TILE_GROUP * K + kb * K_BLOCK);
        for (; g < groups; g++) {
            const float* v = V + static_cast<int64_t>(g) * TILE_GROUP * C;
            float* m = M + static_cast<int64_t>(g) * TILE_GROUP * K + kb * K_BLOCK;
            if (two) contract_block512<TILE_GROUP, 2>(v, u, C, K, m);
            else contract_block512<TILE_GROUP, 1>(v, u, C, K, m);
        }
    }
}

// dU rows [k0, k0+6) (those below K), columns [c0, c0+16P), over T tiles.
template <int P>
static inline void contract_grad_block512(const float* dM, const float* V, int T, int K, int C, int k0, int c0,
                                          bool accumulate, float* dU) {
    __m512 acc[K_GROUP][P];
    for (int r = 0; r < K_GROUP; r++)
        for (int p = 0; p < P; p++) acc[r][p] = _mm512_setzero_ps();
    const float* m = dM + k0;
    const float* v = V + c0;
    for (int t = 0; t < T; t++) {
        __m512 vp[P];
        for (int p = 0; p < P; p++) vp[p] = _mm512_loadu_ps(v + static_cast<int64_t>(t) * C + p * 16);
        const float* mt = m + static_cast<int64_t>(t) * K;
        for (int r = 0; r < K_GROUP; r++) {
            const __m512 mm = _mm512_set1_ps(mt[r]);
            for (int p = 0; p < P; p++) acc[r][p] = _mm512_fmadd_ps(mm, vp[p], acc[r][p]);
        }
    }
    for (int r = 0; r < K_GROUP && k0 + r < K; r++) {
        float* u = dU + static_cast<int64_t>(k0 + r) * C + c0;
        for (int p = 0; p < P; p++) {
            __m512 a = accumulate ? _mm512_add_ps(acc[r][p], _mm512_loadu_ps(u + p * 16)) : acc[r][p];
            _mm512_storeu_ps(u + p * 16, a);
        }
    }
}

// dU (+)= Σ_t dM[t]ᵀ V[t] for one ξ and the columns [c0, c0 + 16·P).
template <int P>
static void contract_grad512(const float* dM, const float* V, int T, int K, int C, int c0, bool accumulate, float* dU) {
    for (int k0 = 0; k0 < K; k0 += K_GROUP) contract_grad_block512<P>(dM, V, T, K, C, k0, c0, accumulate, dU);
}

#pragma GCC pop_options

// Which contraction runs: 2 = AVX-512, 1 = AVX2; chosen from the CPU at first use, switchable for tests.
inline int& contraction_isa() {
    static int isa = [] {
        __builtin_cpu_init();
        return __builtin_cpu_supports("avx512f") ? 2 : 1;
    }();
    return isa;
}

// The tile list of a call over several inputs.
inline TileMap tile_map(int inputs, const int* h, const int* w, int N) {
    TileMap map;
    map.inputs = inputs;
    map.n = N;
    map.h = h;
    map.w = w;
    map.first[0] = 0;
    for (int i = 0; i < inputs; i++) {
        map.first[i + 1] = map.first[i] + static_cast<int64_t>(N) * ((h[i] + 3) / 4) * ((w[i] + 3) / 4);
    }
    return map;
}

// The weight gradient's buffers, grown to the largest call and kept (one training thread calls it, step after step).
inline std::mutex& grad_scratch_mutex() {
    static std::mutex m;
    return m;
}

inline float* grad_scratch(int which, int64_t floats) {
    static float* buf[3] = {nullptr, nullptr, nullptr};
    static int64_t size[3] = {0, 0, 0};
    if (floats > size[which]) {
        std::free(buf[which]);
        buf[which] = aligned_floats(static_cast<size_t>(floats));
        size[which] = buf[which] ? floats : 0;
    }
    return buf[which];
}

}  // namespace dw_wino

/** Whether this CPU runs the kernels (AVX2 and FMA). */
inline int dw_wino_supported() {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") ? 1 : 0;
}

/**
 * The contraction's instruction set: {@code request} 1 asks for AVX2, 2 for AVX-512 (granted only where the CPU has it),
 * anything else leaves it; returns the one in use (2 or 1). For tests and for a switch from the command line.
 */
inline int dw_wino_contraction_isa(int request) {
    __builtin_cpu_init();
    int& isa = dw_wino::contraction_isa();
    if (request == 1) isa = 1;
    if (request == 2 && __builtin_cpu_supports("avx512f")) isa = 2;
    return isa;
}

/** Floats of the packed transformed weights for K outputs and C inputs. */
inline int64_t dw_wino_packed_size(int C, int K) {
    return 36LL * C * K;
}

/**
 * U = G g Gᵀ of weights g (K, C, 3, 3) into {@code U} (dw_wino_packed_size floats, 32-byte aligned) in the
 * contraction's panel order [ξ][K/16][C][16]. Returns 0, or -1 with a message in err.
 */
__attribute__((target("avx2,fma"))) inline int dw_wino_pack_weights(const float* g, int K, int C, float* U, int threads,
                                                                   char* err, int errcap) {
    if (K % dw_wino::K_BLOCK != 0 || C % 8 != 0 || reinterpret_cast<uintptr_t>(U) % 32 != 0) {
        std::snprintf(err, errcap, "winograd: K=%d must be a multiple of 16, C=%d of 8, U 32-byte aligned", K, C);
        return -1;
    }
    if (threads < 1) threads = 1;
    static const double G[6][3] = {{1 / 4.0, 0, 0}, {-1 / 6.0, -1 / 6.0, -1 / 6.0}, {-1 / 6.0, 1 / 6.0, -1 / 6.0},
                                   {1 / 24.0, 1 / 12.0, 1 / 6.0}, {1 / 24.0, -1 / 12.0, 1 / 6.0}, {0, 0, 1}};
    // One panel row at a time: the 16 outputs k of a panel are the vector lanes (the compiler vectorises the l loops).
    constexpr int L = dw_wino::K_BLOCK;
    const int panels = K / L;
#pragma omp parallel for num_threads(threads) schedule(static)
    for (int item = 0; item < panels * C; item++) {
        const int kb = item / C, c = item % C;
        double w[9][L], t[6][3][L];
        for (int l = 0; l < L; l++)
            for (int i = 0; i < 9; i++) w[i][l] = g[(static_cast<int64_t>(kb * L + l) * C + c) * 9 + i];
        for (int a = 0; a < 6; a++)
            for (int j = 0; j < 3; j++)
                for (int l = 0; l < L; l++) t[a][j][l] = G[a][0] * w[j][l] + G[a][1] * w[3 + j][l] + G[a][2] * w[6 + j][l];
        for (int a = 0; a < 6; a++) {
            for (int b = 0; b < 6; b++) {
                float* u = U + ((static_cast<int64_t>(a * 6 + b) * panels + kb) * C + c) * L;
                for (int l = 0; l < L; l++)
                    u[l] = static_cast<float>(t[a][0][l] * G[b][0] + t[a][1][l] * G[b][1] + t[a][2][l] * G[b][2]);
            }
        }
    }
    return 0;
}

/**
 * y_i = conv3×3(x_i, g) + bias for {@code inputs} inputs of N images each: x_i (N, h_i, w_i, C) and y_i (N, h_i, w_i, K),
 * both contiguous channels-last floats; U from dw_wino_pack_weights; bias K floats or null. Returns 0, or -1 with a
 * message in err.
 */
inline int dw_wino_conv3x3(int inputs, const int64_t* x, const int* h, const int* w, int N, int C, int K,
                           const float* U, const float* bias, const int64_t* y, int threads, char* err, int errcap) {
    using namespace dw_wino;
    if (threads < 1) threads = 1;
    if (inputs < 1 || inputs > 64 || K % K_BLOCK != 0 || C % 8 != 0 || N < 1) {
        std::snprintf(err, errcap, "winograd: %d inputs (1..64), K=%d (multiple of 16), C=%d (multiple of 8), N=%d",
                      inputs, K, C, N);
        return -1;
    }
    const TileMap map = tile_map(inputs, h, w, N);
    const int64_t tiles = map.first[inputs];
    const int isa = contraction_isa();
    const bool wide_in = isa == 2 && C % 16 == 0;   // (the AVX-512 input transform takes 16 channels at a time)
    int64_t per = (tiles + 3LL * threads - 1) / (3LL * threads);                 // about three chunks per thread
    per = (per + TILE_GROUP - 1) / TILE_GROUP * TILE_GROUP;
    const int chunk = static_cast<int>(per < TILE_GROUP ? TILE_GROUP : per > TILE_CHUNK ? TILE_CHUNK : per);
    const int64_t chunks = (tiles + chunk - 1) / chunk;
    const float* const* xs = reinterpret_cast<const float* const*>(x);
    float* const* ys = reinterpret_cast<float* const*>(y);
    int failed = 0;
#pragma omp parallel num_threads(threads)
    {
        std::unique_ptr<float, AlignedFree> V(aligned_floats(36LL * chunk * C));
        std::unique_ptr<float, AlignedFree> M(aligned_floats(36LL * chunk * K));
        if (!V || !M) {
#pragma omp atomic write
            failed = 1;
        } else {
#pragma omp for schedule(dynamic, 1)
            for (int64_t ch = 0; ch < chunks; ch++) {
                const int64_t t0 = ch * chunk;
                const int count = static_cast<int>(tiles - t0 < chunk ? tiles - t0 : chunk);
                const int g = (count + TILE_GROUP - 1) / TILE_GROUP;
                const int64_t vplane = static_cast<int64_t>(g) * TILE_GROUP * C, mplane = static_cast<int64_t>(g) * TILE_GROUP * K;
                (wide_in ? input_transform512 : input_transform)(map, xs, C, t0, count, vplane, V.get());
                for (int xi = 0; xi < 36; xi++) {
                    (isa == 2 ? contract512 : contract)(V.get() + xi * vplane, U + static_cast<int64_t>(xi) * C * K, g, C,
                                                        K, M.get() + xi * mplane);
                }
                (isa == 2 ? output_transform512 : output_transform)(map, M.get(), mplane, K, t0, count, bias, ys);
            }
        }
    }
    if (failed) {
        std::snprintf(err, errcap, "winograd: out of memory for the per-thread buffers (C=%d, K=%d)", C, K);
        return -1;
    }
    return 0;
}

/**
 * The transform of the weights turned over for the input's gradient: g' (C, K, 3, 3) with g'[c][k][i][j] =
 * g[k][c][2-i][2-j], packed as dw_wino_pack_weights packs a convolution of K inputs and C outputs. With it,
 * dw_wino_conv3x3 of the output's gradient (K channels) is the input's gradient (C channels). C a multiple of 16 and K
 * of 8.
 */
inline int dw_wino_pack_weights_transposed(const float* g, int K, int C, float* U, int threads, char* err, int errcap) {
    std::unique_ptr<float, dw_wino::AlignedFree> t(dw_wino::aligned_floats(static_cast<size_t>(K) * C * 9));
    if (!t) {
        std::snprintf(err, errcap, "winograd: out of memory for the turned weights (C=%d, K=%d)", C, K);
        return -1;
    }
    for (int k = 0; k < K; k++)
        for (int c = 0; c < C; c++)
            for (int i = 0; i < 9; i++) t.get()[(static_cast<int64_t>(c) * K + k) * 9 + 8 - i] = g[(static_cast<int64_t>(k) * C + c) * 9 + i];
    return dw_wino_pack_weights(t.get(), C, K, U, threads, err, errcap);
}

/**
 * The weights' gradient dg (K, C, 3, 3), overwritten, of y_i = conv3×3(x_i, g) summed over {@code inputs} inputs of N
 * images: x_i (N, h_i, w_i, C) and dy_i (N, h_i, w_i, K) contiguous channels-last floats. C a multiple of 16, K of 16.
 * Returns 0, or -1 with a message in err.
 */
inline int dw_wino_conv3x3_grad_weight(int inputs, const int64_t* x, const int64_t* dy, const int* h, const int* w,
                                       int N, int C, int K, float* dg, int threads, char* err, int errcap) {
    using namespace dw_wino;
    if (threads < 1) threads = 1;
    if (inputs < 1 || inputs > 64 || K % 16 != 0 || C % C_BLOCK != 0 || N < 1) {
        std::snprintf(err, errcap, "winograd grad: %d inputs (1..64), K=%d (multiple of 16), C=%d (multiple of 16), N=%d",
                      inputs, K, C, N);
        return -1;
    }
    const TileMap map = tile_map(inputs, h, w, N);
    const int64_t tiles = map.first[inputs];
    // Tiles go through in super-chunks so that their transforms (36 (C + K) floats each) stay under ~64 MB; the
    // buffers are kept for the next call (training calls this with the same shapes every step: no page faults).
    int64_t sc = (16LL << 20) / (36LL * (C + K)) / 24 * 24;
    sc = sc < 24 ? 24 : sc;
    const int super_chunk = static_cast<int>(sc < tiles ? sc : tiles);
    const int rows = (super_chunk + TILE_GROUP - 1) / TILE_GROUP * TILE_GROUP;
    std::lock_guard<std::mutex> lock(grad_scratch_mutex());
    float* V = grad_scratch(0, 36LL * rows * C);
    float* dM = grad_scratch(1, 36LL * super_chunk * K + 8);   // + slack for the last block's reads
    float* dU = grad_scratch(2, 36LL * K * C);
    if (!V || !dM || !dU) {
        std::snprintf(err, errcap, "winograd grad: out of memory for the transformed tiles (C=%d, K=%d)", C, K);
        return -1;
    }
    const float* const* xs = reinterpret_cast<const float* const*>(x);
    const float* const* dys = reinterpret_cast<const float* const*>(dy);
    // Work items: (ξ, a block of columns of C): 16 columns with AVX2; 64 (then 16 for the rest) with AVX-512.
    const int isa = contraction_isa();
    const int wide = isa == 2 ? C / 64 : 0;
    const int cb_n = wide + (C - 64 * wide) / C_BLOCK;
    for (int64_t s0 = 0; s0 < tiles; s0 += super_chunk) {
        const int T = static_cast<int>(tiles - s0 < super_chunk ? tiles - s0 : super_chunk);
        const int64_t vplane = static_cast<int64_t>(rows) * C, mplane = static_cast<int64_t>(T) * K;
        const int pieces = (T + 23) / 24;   // 24 tiles, a whole number of input_transform's row groups
#pragma omp parallel for num_threads(threads) schedule(dynamic, 1)
        for (int p = 0; p < pieces; p++) {
            const int j0 = p * 24, count = T - j0 < 24 ? T - j0 : 24;
            (isa == 2 ? input_transform512 : input_transform)(map, xs, C, s0 + j0, count, vplane, V + static_cast<int64_t>(j0) * C);
            (isa == 2 ? grad_output_transform512 : grad_output_transform)(map, dys, K, s0 + j0, count, j0, mplane, dM);
        }
        const bool accumulate = s0 > 0;
#pragma omp parallel for num_threads(threads) schedule(dynamic, 1)
        for (int item = 0; item < 36 * cb_n; item++) {
            const int xi = item / cb_n, cb = item % cb_n;
            float* dUxi = dU + static_cast<int64_t>(xi) * K * C;
            if (isa != 2) {
                contract_grad(dM + xi * mplane, V + xi * vplane, T, K, C, cb, accumulate, dUxi);
            } else if (cb < wide) {
                contract_grad512<4>(dM + xi * mplane, V + xi * vplane, T, K, C, 64 * cb, accumulate, dUxi);
            } else {
                contract_grad512<1>(dM + xi * mplane, V + xi * vplane, T, K, C, 64 * wide + C_BLOCK * (cb - wide), accumulate, dUxi);
            }
        }
    }
    // dg = Gᵀ dU G for every (k, c).
    static const float G[6][3] = {{1 / 4.0f, 0, 0}, {-1 / 6.0f, -1 / 6.0f, -1 / 6.0f}, {-1 / 6.0f, 1 / 6.0f, -1 / 6.0f},
                                  {1 / 24.0f, 1 / 12.0f, 1 / 6.0f}, {1 / 24.0f, -1 / 12.0f, 1 / 6.0f}, {0, 0, 1}};
    const float* u = dU;
#pragma omp parallel for num_threads(threads) schedule(static)
    for (int k = 0; k < K; k++) {
        for (int c = 0; c < C; c++) {
            float t[6][3];
            for (int a = 0; a < 6; a++) {
                for (int j = 0; j < 3; j++) {
                    float acc = 0;
                    for (int b = 0; b < 6; b++) acc += u[(static_cast<int64_t>(a * 6 + b) * K + k) * C + c] * G[b][j];
                    t[a][j] = acc;
                }
            }
            float* out = dg + (static_cast<int64_t>(k) * C + c) * 9;
            for (int i = 0; i < 3; i++) {
                for (int j = 0; j < 3; j++) {
                    float acc = 0;
                    for (int a = 0; a < 6; a++) acc += G[a][i] * t[a][j];
                    out[i * 3 + j] = acc;
                }
            }
        }
    }
    return 0;
}

#endif
