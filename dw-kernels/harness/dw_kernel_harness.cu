// dw_kernel_harness: contract checks and benchmarks for the dw-kernels CUDA sources, without Java.
//
// One source, two builds:
//   nvcc (__CUDACC__)   the kernels of ../src/main/cuda/dw_kernels.cu run on the GPU through the CUDA runtime:
//                       <<<grid, block>>> launches on one stream, cudaMemcpy for inputs and outputs, cudaEvent timers,
//                       cub for the stable descending sort and the stream compaction of NMS.
//   g++ -std=c++17      the same kernel sources run on the CPU under the grid emulator of ../src/main/cuda/host/dw_host.h,
//                       launched through dw_host_launch with cuLaunchKernel-style packed parameters and a signature
//                       string, exactly as the Java HostKernelLauncher does; "device memory" is host memory.
//
// Only the "backend" section below differs between the builds (allocation, copies, launch, sort/select, timer). The
// orchestration (which kernels, grid and block shapes, argument order, host reads) mirrors the Java classes
// KernelBoxOverlaps, KernelPairPriors, KernelNms and KernelDwAssigner, and is shared, so the host build tests it.
//
// Usage:
//   dw_kernel_harness check DIR [--block N|max] [--gather-block N] [--filter TEXT]
//   dw_kernel_harness limits                    each kernel's most threads per block
//   dw_kernel_harness bench [--scale small|full] [--runs N] [--warmup N] [--block N] [--seed N] [--only LIST]

#ifdef __CUDACC__
#include <cuda_runtime.h>
#include <cub/cub.cuh>
#include "../src/main/cuda/dw_kernels.cu"
#include "../src/main/cuda/dw_kernel_list.h"
#include "../src/main/cuda/launch/dw_plan.h"
#else
#include "../src/main/cuda/host/dw_host.h"
#endif

#include <algorithm>
#include <chrono>
#include <cinttypes>
#include <climits>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <tuple>
#include <numeric>
#include <random>
#include <sstream>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

// ================================================================================================================
// Harness helper kernels (written against dw_compat.cuh, so they run under nvcc and under the emulator alike)
// ================================================================================================================

// out[k] = k
extern "C" __global__ void dwh_iota_i64(int64_t* out, int64_t n) {
    int64_t k = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
    if (k < n) out[k] = k;
}

namespace dwh_kernels {
// dst row r = src row order[r]; rows of `width` elements (index_select(0, order) of a contiguous tensor).
template <typename T>
DW_DEVICE void gather_rows(const T* src, const int64_t* order, int64_t rows, int64_t width, T* dst) {
    int64_t k = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
    if (k >= rows * width) return;
    int64_t r = k / width, c = k - r * width;
    dst[k] = src[order[r] * width + c];
}
}  // namespace dwh_kernels

extern "C" __global__ void dwh_gather_rows_f32(const float* src, const int64_t* order, int64_t rows, int64_t width,
                                               float* dst) {
    dwh_kernels::gather_rows(src, order, rows, width, dst);
}
extern "C" __global__ void dwh_gather_rows_f64(const double* src, const int64_t* order, int64_t rows, int64_t width,
                                               double* dst) {
    dwh_kernels::gather_rows(src, order, rows, width, dst);
}
extern "C" __global__ void dwh_gather_rows_i64(const int64_t* src, const int64_t* order, int64_t rows, int64_t width,
                                               int64_t* dst) {
    dwh_kernels::gather_rows(src, order, rows, width, dst);
}
// dst[index[k]] = src[k] (index_copy_(0, index, src) of a flag vector).
extern "C" __global__ void dwh_scatter_u8(const uint8_t* src, const int64_t* index, int64_t n, uint8_t* dst) {
    int64_t k = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
    if (k < n) dst[index[k]] = src[k];
}

namespace dwh {

struct Error : std::runtime_error {
    using std::runtime_error::runtime_error;
};

// ================================================================================================================
// Backend: memory, copies, launches, sort / select, timer
// ================================================================================================================

#ifdef __CUDACC__

inline void cuda_check(cudaError_t e, const char* what) {
    if (e != cudaSuccess) throw Error(std::string(what) + " failed: " + cudaGetErrorName(e) + " (" + cudaGetErrorString(e) + ")");
}
#define DWH_CUDA(call) ::dwh::cuda_check((call), #call)

inline cudaStream_t& stream() {
    static cudaStream_t s = nullptr;
    return s;
}

inline std::string backend_init() {
    int device = 0;
    DWH_CUDA(cudaSetDevice(device));
    DWH_CUDA(cudaStreamCreateWithFlags(&stream(), cudaStreamNonBlocking));
    cudaDeviceProp prop{};
    DWH_CUDA(cudaGetDeviceProperties(&prop, device));
    int runtime = 0, driver = 0;
    DWH_CUDA(cudaRuntimeGetVersion(&runtime));
    DWH_CUDA(cudaDriverGetVersion(&driver));
    char text[512];
    std::snprintf(text, sizeof text, "cuda: %s (sm_%d%d, %d SMs, %.1f GiB), runtime %d.%d, driver %d.%d", prop.name,
                  prop.major, prop.minor, prop.multiProcessorCount, prop.totalGlobalMem / 1073741824.0,
                  runtime / 1000, (runtime % 1000) / 10, driver / 1000, (driver % 1000) / 10);
    return text;
}
constexpr bool kOnGpu = true;
constexpr int kDefaultBlock = 256;  // CudaKernelLauncher.defaultBlock()

inline void* dev_alloc(size_t bytes) {
    void* p = nullptr;
    DWH_CUDA(cudaMalloc(&p, bytes));
    return p;
}
inline void dev_free(void* p) {
    if (p) (void)cudaFree(p);  // never throws: called from destructors
}
inline void copy_to_device(void* dst, const void* src, size_t bytes) {
    if (bytes == 0) return;
    DWH_CUDA(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyHostToDevice, stream()));
    DWH_CUDA(cudaStreamSynchronize(stream()));
}
// A device-to-host read: waits for the stream, as libtorch's item() / cpu() do.
inline void copy_to_host(void* dst, const void* src, size_t bytes) {
    if (bytes == 0) return;
    DWH_CUDA(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDeviceToHost, stream()));
    DWH_CUDA(cudaStreamSynchronize(stream()));
}
inline void dev_memset(void* p, int value, size_t bytes) {
    if (bytes == 0) return;
    DWH_CUDA(cudaMemsetAsync(p, value, bytes, stream()));
}
inline void dev_sync() {
    DWH_CUDA(cudaStreamSynchronize(stream()));
    DWH_CUDA(cudaGetLastError());
}

class Timer {
  public:
    Timer() {
        DWH_CUDA(cudaEventCreate(&start_));
        DWH_CUDA(cudaEventCreate(&stop_));
    }
    ~Timer() {
        (void)cudaEventDestroy(start_);
        (void)cudaEventDestroy(stop_);
    }
    Timer(const Timer&) = delete;
    Timer& operator=(const Timer&) = delete;
    void start() { DWH_CUDA(cudaEventRecord(start_, stream())); }
    double stop_ms() {
        DWH_CUDA(cudaEventRecord(stop_, stream()));
        DWH_CUDA(cudaEventSynchronize(stop_));
        float ms = 0;
        DWH_CUDA(cudaEventElapsedTime(&ms, start_, stop_));
        return ms;
    }

  private:
    cudaEvent_t start_ = nullptr, stop_ = nullptr;
};

inline void check_launch(const char* kernel) {
    cudaError_t e = cudaGetLastError();
    if (e != cudaSuccess) throw Error(std::string("launch of ") + kernel + " failed: " + cudaGetErrorString(e));
}

// kernel<<<grid, block, 0, stream>>>(args...); arguments convert implicitly to the kernel's parameter types here, but
// the host build checks their kinds against the kernel's signature (see below), as the Java launchers do.
// The most threads per block of each library kernel (dw_kernel_list.h), as the driver reports it for the loaded code
// (CudaKernelLauncher reads the same attribute).
inline int max_threads(const std::string& name) {
    static const std::map<std::string, int> limits = [] {
        std::map<std::string, int> m;
#define DWH_LIMIT(fn, synchronises, bound)                                                  \
    {                                                                                        \
        cudaFuncAttributes attributes{};                                                     \
        DWH_CUDA(cudaFuncGetAttributes(&attributes, reinterpret_cast<const void*>(&fn)));   \
        m[#fn] = attributes.maxThreadsPerBlock;                                              \
    }
        DW_KERNELS(DWH_LIMIT)
#undef DWH_LIMIT
        return m;
    }();
    auto it = limits.find(name);
    if (it == limits.end()) throw Error("no kernel named " + name);
    return it->second;
}

#define DWH_LAUNCH(kernel, grid, block, ...)                                  \
    do {                                                                      \
        kernel<<<(grid), (block), 0, ::dwh::stream()>>>(__VA_ARGS__);         \
        ::dwh::check_launch(#kernel);                                         \
    } while (0)

#else  // host build: the grid emulator

inline void register_harness_kernels() {
    dw_host_kernel_signature("dw_nms_gather_keep");  // registers the library's kernels (once)
    DW_REGISTER_KERNEL(dwh_iota_i64, false, DW_MAX_BLOCK);
    DW_REGISTER_KERNEL(dwh_gather_rows_f32, false, DW_MAX_BLOCK);
    DW_REGISTER_KERNEL(dwh_gather_rows_f64, false, DW_MAX_BLOCK);
    DW_REGISTER_KERNEL(dwh_gather_rows_i64, false, DW_MAX_BLOCK);
    DW_REGISTER_KERNEL(dwh_scatter_u8, false, DW_MAX_BLOCK);
}

// The launch bound the host registry records for a library kernel (the constant nvcc compiles it with).
inline int max_threads(const std::string& name) {
    int m = dw_host_kernel_max_threads(name.c_str());
    if (m <= 0) throw Error("no kernel named " + name);
    return m;
}

inline std::string backend_init() {
    register_harness_kernels();
    return "host: kernels run on the CPU under the grid emulator (dw_host_launch); device memory is host memory";
}
constexpr bool kOnGpu = false;
constexpr int kDefaultBlock = 32;  // HostKernelLauncher's default (fewer fibers)

inline void* dev_alloc(size_t bytes) {
    void* p = std::malloc(bytes);
    if (!p) throw Error("out of host memory allocating " + std::to_string(bytes) + " bytes");
    return p;
}
inline void dev_free(void* p) { std::free(p); }
inline void copy_to_device(void* dst, const void* src, size_t bytes) {
    if (bytes) std::memcpy(dst, src, bytes);
}
inline void copy_to_host(void* dst, const void* src, size_t bytes) {
    if (bytes) std::memcpy(dst, src, bytes);
}
inline void dev_memset(void* p, int value, size_t bytes) {
    if (bytes) std::memset(p, value, bytes);
}
inline void dev_sync() {}

class Timer {
  public:
    void start() { t0_ = std::chrono::steady_clock::now(); }
    double stop_ms() { return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0_).count(); }

  private:
    std::chrono::steady_clock::time_point t0_;
};

// Packs the arguments as cuLaunchKernel does (an array of pointers to the values), derives the signature string from
// the argument types as the Java KernelArgs does, and runs the kernel through dw_host_launch, which checks that
// signature against the kernel's declaration.
template <typename... Args>
void host_launch(const char* kernel, dim3 grid, dim3 block, Args... args) {
    const std::string signature{dw_emu::param_code<Args>()...};
    void* params[] = {static_cast<void*>(&args)...};
    char error[1024] = {0};
    int rc = dw_host_launch(kernel, signature.c_str(), static_cast<int>(grid.x), static_cast<int>(grid.y),
                            static_cast<int>(grid.z), static_cast<int>(block.x), static_cast<int>(block.y),
                            static_cast<int>(block.z), params, error, static_cast<int>(sizeof error));
    if (rc != 0) throw Error(std::string("host launch of ") + kernel + " failed: " + error);
}

#define DWH_LAUNCH(kernel, grid, block, ...)                                 \
    do {                                                                     \
        (void)&kernel; /* the kernel must exist in this build too */         \
        ::dwh::host_launch(#kernel, (grid), (block), __VA_ARGS__);           \
    } while (0)

#endif  // __CUDACC__

// The float32 / float64 instantiation of a kernel family (dw_xxx_f32 / dw_xxx_f64).
#define DWH_LAUNCH_T(T, family, grid, block, ...)                                        \
    do {                                                                                 \
        if constexpr (std::is_same_v<T, float>) {                                        \
            DWH_LAUNCH(family##_f32, grid, block, __VA_ARGS__);                          \
        } else {                                                                         \
            static_assert(std::is_same_v<T, double>, "kernels take float or double");   \
            DWH_LAUNCH(family##_f64, grid, block, __VA_ARGS__);                          \
        }                                                                                \
    } while (0)

// A device buffer with a logical size and a grow-only capacity (like libtorch's caching allocator: after warm-up no
// allocation happens in timed loops). get() is null for an empty buffer, as KernelArgs passes 0 for empty tensors.
template <typename T>
class DevBuf {
  public:
    DevBuf() = default;
    explicit DevBuf(size_t n) { resize(n); }
    ~DevBuf() { dev_free(ptr_); }
    DevBuf(const DevBuf&) = delete;
    DevBuf& operator=(const DevBuf&) = delete;
    DevBuf(DevBuf&& o) noexcept : ptr_(o.ptr_), size_(o.size_), capacity_(o.capacity_) { o.ptr_ = nullptr; o.size_ = o.capacity_ = 0; }
    DevBuf& operator=(DevBuf&& o) noexcept {
        std::swap(ptr_, o.ptr_);
        std::swap(size_, o.size_);
        std::swap(capacity_, o.capacity_);
        return *this;
    }

    // Sets the logical size; contents are undefined after growing.
    void resize(size_t n) {
        if (n > capacity_) {
            dev_free(ptr_);
            ptr_ = nullptr;
            capacity_ = 0;
            ptr_ = static_cast<T*>(dev_alloc(n * sizeof(T)));
            capacity_ = n;
        }
        size_ = n;
    }
    T* get() const { return size_ ? ptr_ : nullptr; }
    size_t size() const { return size_; }
    size_t bytes() const { return size_ * sizeof(T); }

    void upload(const std::vector<T>& host) {
        resize(host.size());
        copy_to_device(get(), host.data(), bytes());
    }
    std::vector<T> download(size_t count) const {
        if (count > size_) throw Error("download of " + std::to_string(count) + " elements from a buffer of " + std::to_string(size_));
        std::vector<T> host(count);
        copy_to_host(host.data(), get(), count * sizeof(T));
        return host;
    }
    std::vector<T> download() const { return download(size_); }
    std::vector<T> download_range(size_t offset, size_t count) const {
        if (offset + count > size_) throw Error("download beyond a buffer of " + std::to_string(size_));
        std::vector<T> host(count);
        copy_to_host(host.data(), ptr_ + offset, count * sizeof(T));
        return host;
    }
    void zero() { dev_memset(get(), 0, bytes()); }

  private:
    T* ptr_ = nullptr;
    size_t size_ = 0, capacity_ = 0;
};

inline unsigned grid_dim(int64_t blocks, const char* what) {
    if (blocks < 1 || blocks > INT_MAX) throw Error(std::string(what) + ": grid dimension " + std::to_string(blocks) + " out of range");
    return static_cast<unsigned>(blocks);
}
inline int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }

// --block max: each kernel at its own limit.
constexpr int kBlockMax = -1;

// KernelLauncher.blockFor: a requested block above the kernel's limit is refused; kBlockMax is the limit itself.
inline int block_for(const std::string& kernel, int requested) {
    int limit = max_threads(kernel);
    if (requested == kBlockMax) return limit;
    if (requested > limit) {
        throw Error("block " + std::to_string(requested) + " exceeds the limit of " + kernel + ", " + std::to_string(limit) +
                    " threads per block (its launch bound and registers); use at most " + std::to_string(limit));
    }
    return requested;
}
template <typename T>
inline int block_for_t(const char* family, int requested) {
    return block_for(std::string(family) + (std::is_same_v<T, float> ? "_f32" : "_f64"), requested);
}

// keys_in (n) sorted descending, stably (equal keys keep their input order); values_out = values_in in that order.
// This is libtorch's scores.sort(stable=true, dim=0, descending=true) applied to an iota.
template <typename T>
void sort_pairs_descending(const T* keys_in, T* keys_out, const int64_t* values_in, int64_t* values_out, int64_t n,
                           DevBuf<uint8_t>& temp) {
    if (n == 0) return;
#ifdef __CUDACC__
    // cub's radix sort is stable and treats -0.0 and +0.0 as equal, like libtorch's stable sort.
    size_t bytes = 0;
    DWH_CUDA(cub::DeviceRadixSort::SortPairsDescending(nullptr, bytes, keys_in, keys_out, values_in, values_out,
                                                       static_cast<int>(n), 0, int(sizeof(T) * 8), stream()));
    temp.resize(std::max<size_t>(bytes, 1));
    DWH_CUDA(cub::DeviceRadixSort::SortPairsDescending(temp.get(), bytes, keys_in, keys_out, values_in, values_out,
                                                       static_cast<int>(n), 0, int(sizeof(T) * 8), stream()));
#else
    (void)temp;
    std::vector<int64_t> position(static_cast<size_t>(n));
    std::iota(position.begin(), position.end(), int64_t{0});
    std::stable_sort(position.begin(), position.end(), [&](int64_t a, int64_t b) { return keys_in[a] > keys_in[b]; });
    for (int64_t k = 0; k < n; k++) {
        keys_out[k] = keys_in[position[k]];
        values_out[k] = values_in[position[k]];
    }
#endif
}

// keys_in (n) sorted ascending, stably; values follow (labels.sort(stable=true) applied to values).
inline void sort_pairs_ascending_i64(const int64_t* keys_in, int64_t* keys_out, const int64_t* values_in,
                                     int64_t* values_out, int64_t n, DevBuf<uint8_t>& temp) {
    if (n == 0) return;
#ifdef __CUDACC__
    size_t bytes = 0;
    DWH_CUDA(cub::DeviceRadixSort::SortPairs(nullptr, bytes, keys_in, keys_out, values_in, values_out,
                                             static_cast<int>(n), 0, 64, stream()));
    temp.resize(std::max<size_t>(bytes, 1));
    DWH_CUDA(cub::DeviceRadixSort::SortPairs(temp.get(), bytes, keys_in, keys_out, values_in, values_out,
                                             static_cast<int>(n), 0, 64, stream()));
#else
    (void)temp;
    std::vector<int64_t> position(static_cast<size_t>(n));
    std::iota(position.begin(), position.end(), int64_t{0});
    std::stable_sort(position.begin(), position.end(), [&](int64_t a, int64_t b) { return keys_in[a] < keys_in[b]; });
    for (int64_t k = 0; k < n; k++) {
        keys_out[k] = keys_in[position[k]];
        values_out[k] = values_in[position[k]];
    }
#endif
}

// out = in[flags != 0] (in order); returns the count, read to the host (libtorch's nonzero() synchronises too).
inline int64_t select_flagged(const int64_t* in, const uint8_t* flags, int64_t n, int64_t* out, DevBuf<int64_t>& count,
                              DevBuf<uint8_t>& temp) {
    if (n == 0) return 0;
#ifdef __CUDACC__
    count.resize(1);
    size_t bytes = 0;
    DWH_CUDA(cub::DeviceSelect::Flagged(nullptr, bytes, in, flags, out, count.get(), n, stream()));
    temp.resize(std::max<size_t>(bytes, 1));
    DWH_CUDA(cub::DeviceSelect::Flagged(temp.get(), bytes, in, flags, out, count.get(), n, stream()));
    return count.download(1)[0];
#else
    (void)count;
    (void)temp;
    int64_t k = 0;
    for (int64_t i = 0; i < n; i++)
        if (flags[i]) out[k++] = in[i];
    return k;
#endif
}

// ================================================================================================================
// Orchestration: mirrors dev.dwjava.kernels.Kernel* exactly (grid / block shapes, argument order, host reads)
// ================================================================================================================

constexpr double kBoxEps = 1e-6;                                          // BoxOps.EPS
const double kTwoSigmaSquared = 2.0 * static_cast<double>(1.11f * 1.11f);  // DwConstants.TWO_SIGMA_SQUARED
constexpr int64_t kNmsTile = 64;                                          // KernelNms.TILE
constexpr int64_t kNmsMaxBoxes = 2048LL * 64;                             // KernelNms.MAX_BOXES
constexpr int kHelperBlock = 256;                                         // block of the harness helper kernels

// KernelBoxOverlaps.pairwise: out (n, m) row-major; grid ceil(n·m / block), one-dimensional blocks.
template <typename T>
void run_pairwise_overlaps(const T* a, const T* b, int64_t n, int64_t m, bool giou, int block, T* out) {
    if (n * m == 0) return;
    block = block_for_t<T>("dw_pairwise_overlaps", block);
    int32_t giou_flag = giou ? 1 : 0;
    T eps = static_cast<T>(kBoxEps);
    DWH_LAUNCH_T(T, dw_pairwise_overlaps, dim3(grid_dim(ceil_div(n * m, block), "overlaps")), dim3(block), a, b, n, m,
                 giou_flag, eps, out);
}

// KernelPairPriors.both: prior (n), centerness (n) in one launch.
template <typename T>
void run_pair_priors(const T* xy, const T* stride, const T* boxes, int64_t n, int block, T* prior, T* ctr) {
    if (n == 0) return;
    block = block_for_t<T>("dw_pair_priors", block);
    T two_sigma_sq = static_cast<T>(kTwoSigmaSquared);
    DWH_LAUNCH_T(T, dw_pair_priors, dim3(grid_dim(ceil_div(n, block), "priors")), dim3(block), xy, stride, boxes, n,
                 two_sigma_sq, prior, ctr);
}

template <typename T>
void run_plan(const dw_plan::Plan& plan, void* const* base, int block);

template <typename T>
struct NmsWorkspace {
    DevBuf<int64_t> iota, by_score, labels_by_score, grouping, order, sorted_labels, class_end, removed, kept, count;
    DevBuf<T> sorted_scores, sorted_boxes;
    DevBuf<uint64_t> mask;
    DevBuf<uint8_t> keep, keep_by_score, temp;
};

using dw_plan::kNmsMaskBudgetBytes;
using dw_plan::nms_tiles_per_strip;

// KernelNms.batchedNms: two stable sorts group the boxes by class in descending score (ties: input order);
// dw_nms_class_end; per strip of row tiles (the mask bounded by kNmsMaskBudgetBytes) dw_nms_mask on a
// (words, strip tiles) grid of 64-thread blocks and dw_nms_gather_keep in one block; the keep flags scattered back to
// score order and the kept indices selected from the score order (descending score, ties by input index). Kept input
// indices land in w.kept; returns their count, the one read to the host.
template <typename T>
int64_t run_nms(NmsWorkspace<T>& w, const T* boxes, const T* scores, const int64_t* labels, int64_t n, double threshold,
                int gather_block, int64_t mask_budget = kNmsMaskBudgetBytes) {
    if (n == 0) {
        w.kept.resize(0);
        return 0;
    }
    if (n > kNmsMaxBoxes) {
        throw Error("kernel NMS takes at most " + std::to_string(kNmsMaxBoxes) + " boxes, found " + std::to_string(n));
    }
    const dim3 helper_grid(grid_dim(ceil_div(n, kHelperBlock), "nms helper"));
    const int64_t four = 4, one = 1;
    w.iota.resize(n);
    w.by_score.resize(n);
    w.sorted_scores.resize(n);
    DWH_LAUNCH(dwh_iota_i64, helper_grid, dim3(kHelperBlock), w.iota.get(), n);
    sort_pairs_descending(scores, w.sorted_scores.get(), w.iota.get(), w.by_score.get(), n, w.temp);
    w.labels_by_score.resize(n);
    DWH_LAUNCH(dwh_gather_rows_i64, helper_grid, dim3(kHelperBlock), labels, static_cast<const int64_t*>(w.by_score.get()),
               n, one, w.labels_by_score.get());
    // grouping: positions in the score order, stably by label; order = by_score[grouping].
    w.sorted_labels.resize(n);
    w.grouping.resize(n);
    sort_pairs_ascending_i64(w.labels_by_score.get(), w.sorted_labels.get(), w.iota.get(), w.grouping.get(), n, w.temp);
    w.order.resize(n);
    DWH_LAUNCH(dwh_gather_rows_i64, helper_grid, dim3(kHelperBlock), static_cast<const int64_t*>(w.by_score.get()),
               static_cast<const int64_t*>(w.grouping.get()), n, one, w.order.get());

    w.sorted_boxes.resize(4 * n);
    DWH_LAUNCH_T(T, dwh_gather_rows, dim3(grid_dim(ceil_div(4 * n, kHelperBlock), "nms helper")), dim3(kHelperBlock),
                 boxes, static_cast<const int64_t*>(w.order.get()), n, four, w.sorted_boxes.get());
    // The kernel part from the launch layer (launch/dw_plan.h, as KernelNms): class-run ends, per strip mask + gather.
    const dw_plan::Plan plan = dw_plan::nms(n, threshold, mask_budget);
    w.removed.resize(static_cast<size_t>(plan.nms_longs));  // class ends, then the removed bitset
    w.removed.zero();
    w.mask.resize(static_cast<size_t>(plan.mask));  // not cleared: only tiles at or right of the diagonal are written and read
    w.keep.resize(n);
    w.keep.zero();
    void* base[dw_plan::NUM_BUFFERS] = {};
    base[dw_plan::SORTED_BOXES] = w.sorted_boxes.get();
    base[dw_plan::SORTED_LABELS] = w.sorted_labels.get();
    base[dw_plan::NMS_LONGS] = w.removed.get();
    base[dw_plan::MASK] = w.mask.get();
    base[dw_plan::KEEP] = w.keep.get();
    run_plan<T>(plan, base, gather_block);
    w.keep_by_score.resize(n);
    w.keep_by_score.zero();
    DWH_LAUNCH(dwh_scatter_u8, helper_grid, dim3(kHelperBlock), static_cast<const uint8_t*>(w.keep.get()),
               static_cast<const int64_t*>(w.grouping.get()), n, w.keep_by_score.get());
    w.kept.resize(n);
    int64_t k = select_flagged(w.by_score.get(), w.keep_by_score.get(), n, w.kept.get(), w.count, w.temp);
    w.kept.resize(k);
    return k;
}

// DwConstants, in the order of the contract's `constants` array.
struct DwConstants {
    double two_sigma_sq = kTwoSigmaSquared, loc_scale = 5.0, pos_sharpness = 5.0, norm_sharpness = 3.0,
           neg_iou_threshold = 0.5, neg_slope = 1.0 / (0.5 * 0.5 - 1.0), eps = 1e-12;
};

template <typename T>
struct DwBatch {  // a batch's inputs on the device: the images share the points; GTs concatenated, predictions stacked
    DevBuf<T> xy, strides, gt_boxes, cls_logits, obj_logits, distances;
    DevBuf<int64_t> gt_labels;
    std::vector<int64_t> gt_begin{0};  // image b's GTs are [gt_begin[b], gt_begin[b + 1])
    int64_t num_points = 0, num_classes = 0;
    int64_t images() const { return static_cast<int64_t>(gt_begin.size()) - 1; }
    int64_t num_gt() const { return gt_begin.back(); }
};

// A view of a buffer (elements [offset, offset + size)), as the per-image views of the Java side.
template <typename T>
struct View {
    const DevBuf<T>* buf = nullptr;
    size_t offset = 0, size = 0;
    std::vector<T> download(size_t count) const { return count ? buf->download_range(offset, count) : std::vector<T>(); }
    std::vector<T> download() const { return download(size); }
};

template <typename T>
struct DwWorkspace {  // the plan's buffers of one batch; grow-only, reused between runs
    DevBuf<int32_t> counts_buf, ints;
    DevBuf<int64_t> layout, longs;
    DevBuf<T> reals;
    // Views of the outputs (the batch's, all images)
    View<int32_t> counts;
    View<int64_t> pair_point, pair_gt, num_good, neg_index;
    View<T> pos_weight, max_iou, sum_weight, neg_value, neg_factor;
    std::vector<int64_t> n, m, pair_begin;  // per image: inside pairs, written P_neg entries, first pair
    int64_t total_pairs = 0;
};

// A plan buffer's element: 'L' int64 (or uint64 words), 'I' int32, 'B' uint8, 'R' the batch's real type.
inline char plan_element(int buffer) {
    switch (buffer) {
        case dw_plan::GT_LABELS: case dw_plan::LAYOUT: case dw_plan::LONGS: case dw_plan::SORTED_LABELS:
        case dw_plan::NMS_LONGS: case dw_plan::MASK: return 'L';
        case dw_plan::COUNTS: case dw_plan::INTS: return 'I';
        case dw_plan::KEEP: return 'B';
        default: return 'R';
    }
}
inline size_t plan_element_bytes(int buffer, size_t real_bytes) {
    char e = plan_element(buffer);
    return e == 'L' ? 8 : e == 'I' ? 4 : e == 'B' ? 1 : real_bytes;
}
inline char plan_pointer_code(int buffer, bool f64) {
    char e = plan_element(buffer);
    return e != 'R' ? e : f64 ? 'D' : 'F';
}

#ifdef __CUDACC__
// The library's kernels by name (dw_kernel_list.h), for launches from a plan.
inline const void* kernel_function(const std::string& name) {
    static const std::map<std::string, const void*> functions = {
#define DWH_FUNCTION(fn, synchronises, bound) {#fn, reinterpret_cast<const void*>(&fn)},
        DW_KERNELS(DWH_FUNCTION)
#undef DWH_FUNCTION
    };
    auto it = functions.find(name);
    if (it == functions.end()) throw Error("no kernel named " + name);
    return it->second;
}
#endif

// Runs a plan's launches (launch/dw_plan.h, the layer the Java launchers run too): buffer b at base[b], reals of T.
template <typename T>
void run_plan(const dw_plan::Plan& plan, void* const* base, int block) {
    for (const dw_plan::Launch& l : plan.launches) {
        const std::string kernel = l.typed ? l.family + (std::is_same_v<T, float> ? "_f32" : "_f64") : l.family;
        const int b = l.fixed_block > 0 ? l.fixed_block : block_for(kernel, block);
        const int64_t grid = l.per_thread > 0 ? ceil_div(l.per_thread, b) : l.grid_x;
        std::vector<uint64_t> slots(l.args.size());
        std::vector<void*> params(l.args.size());
        std::string signature;
        for (size_t i = 0; i < l.args.size(); i++) {
            const dw_plan::Arg& a = l.args[i];
            if (a.kind == 'T') {
                char* p = a.count ? static_cast<char*>(base[a.buffer]) + a.offset * plan_element_bytes(a.buffer, sizeof(T)) : nullptr;
                std::memcpy(&slots[i], &p, sizeof p);
                signature += plan_pointer_code(a.buffer, std::is_same_v<T, double>);
            } else if (a.kind == 'l') {
                std::memcpy(&slots[i], &a.i, sizeof a.i);
                signature += 'l';
            } else if (a.kind == 'd') {
                std::memcpy(&slots[i], &a.r, sizeof a.r);
                signature += 'd';
            } else {
                T v = static_cast<T>(a.r);
                std::memcpy(&slots[i], &v, sizeof v);
                signature += std::is_same_v<T, float> ? 'f' : 'd';
            }
            params[i] = &slots[i];
        }
#ifdef __CUDACC__
        DWH_CUDA(cudaLaunchKernel(kernel_function(kernel), dim3(grid_dim(grid, kernel.c_str()), grid_dim(l.grid_y, kernel.c_str())),
                                  dim3(b), params.data(), 0, stream()));
#else
        char error[1024] = {0};
        if (dw_host_launch(kernel.c_str(), signature.c_str(), static_cast<int>(grid_dim(grid, kernel.c_str())),
                           static_cast<int>(grid_dim(l.grid_y, kernel.c_str())), 1, b, 1, 1,
                           params.data(), error, static_cast<int>(sizeof error)) != 0) {
            throw Error("host launch of " + kernel + " failed: " + error);
        }
#endif
    }
}

// KernelDwAssigner.assignBatch through the shared launch layer: phase 1 (the GT layout uploaded, dw_count_inside),
// the one read of the counts, phase 2 (collect_pairs, gt_weights, neg_keep, neg_compact). Nothing is launched when the
// batch has no GT.
template <typename T>
void run_dw(const DwBatch<T>& in, const DwConstants& constants, int block, DwWorkspace<T>& w) {
    const int64_t num_gt = in.num_gt(), batch = in.images();
    dw_plan::Plan first = dw_plan::weighting_phase1(in.num_points, in.gt_begin);
    w.layout.upload(first.layout);
    w.counts_buf.resize(static_cast<size_t>(first.counts));
    w.counts_buf.zero();
    void* base[dw_plan::NUM_BUFFERS] = {const_cast<T*>(in.xy.get()), const_cast<T*>(in.strides.get()),
                                        const_cast<T*>(in.gt_boxes.get()), const_cast<int64_t*>(in.gt_labels.get()),
                                        const_cast<T*>(in.cls_logits.get()), const_cast<T*>(in.obj_logits.get()),
                                        const_cast<T*>(in.distances.get()), w.layout.get(), w.counts_buf.get(),
                                        nullptr, nullptr, nullptr};
    run_plan<T>(first, base, block);
    dw_plan::Plan plan = first;
    if (num_gt > 0) {
        // The one read of the batch (Java: Tensors.toLongs(counts)).
        std::vector<int32_t> host = w.counts_buf.download();
        plan = dw_plan::weighting_phase2(in.num_points, in.num_classes, in.gt_begin,
                                         std::vector<int64_t>(host.begin(), host.end()),
                                         dw_plan::Constants{constants.two_sigma_sq, constants.loc_scale,
                                                            constants.pos_sharpness, constants.norm_sharpness,
                                                            constants.neg_iou_threshold, constants.neg_slope, constants.eps});
    }
    w.longs.resize(static_cast<size_t>(plan.longs));
    w.ints.resize(static_cast<size_t>(plan.ints));
    if (num_gt > 0) {
        w.reals.resize(static_cast<size_t>(plan.reals));
    } else {
        w.reals.resize(static_cast<size_t>(batch));  // Σ(1 − P_neg) = 0 per image
        w.reals.zero();
        plan.factor = 0;
    }
    base[dw_plan::LONGS] = w.longs.get();
    base[dw_plan::REALS] = w.reals.get();
    base[dw_plan::INTS] = w.ints.get();
    if (num_gt > 0) run_plan<T>(plan, base, block);

    w.n.assign(batch, 0);
    w.m.assign(batch, 0);
    w.pair_begin.assign(batch, 0);
    w.total_pairs = 0;
    for (size_t b = 0; b < plan.images.size(); b++) {
        w.n[b] = plan.images[b].pairs;
        w.m[b] = plan.images[b].negatives;
        w.pair_begin[b] = plan.images[b].pair_begin;
        w.total_pairs += plan.images[b].pairs;
    }
    const size_t n = static_cast<size_t>(w.total_pairs), g = static_cast<size_t>(num_gt);
    w.counts = {&w.counts_buf, 0, 2 * g};
    w.pair_point = {&w.longs, static_cast<size_t>(plan.pair_point), n};
    w.pair_gt = {&w.longs, static_cast<size_t>(plan.pair_gt), n};
    w.neg_index = {&w.longs, static_cast<size_t>(plan.neg_index), n};
    w.num_good = {&w.longs, static_cast<size_t>(plan.num_good), g};
    w.pos_weight = {&w.reals, static_cast<size_t>(plan.pos_weight), n};
    w.neg_value = {&w.reals, static_cast<size_t>(plan.neg_value), n};
    w.max_iou = {&w.reals, static_cast<size_t>(plan.max_iou), g};
    w.sum_weight = {&w.reals, static_cast<size_t>(plan.sum_weight), g};
    w.neg_factor = {&w.reals, static_cast<size_t>(plan.factor), static_cast<size_t>(batch)};
}

// ================================================================================================================
// .dwcase files
// ================================================================================================================

enum DType : int32_t { kF32 = 0, kF64 = 1, kI64 = 2, kI32 = 3, kU8 = 4 };
inline size_t item_bytes(int32_t code) {
    static const size_t bytes[] = {4, 8, 8, 4, 1};
    return bytes[code];
}
inline const char* dtype_name(int32_t code) {
    static const char* names[] = {"float32", "float64", "int64", "int32", "uint8"};
    return names[code];
}
template <typename T> constexpr int32_t dtype_code();
template <> constexpr int32_t dtype_code<float>() { return kF32; }
template <> constexpr int32_t dtype_code<double>() { return kF64; }
template <> constexpr int32_t dtype_code<int64_t>() { return kI64; }
template <> constexpr int32_t dtype_code<int32_t>() { return kI32; }
template <> constexpr int32_t dtype_code<uint8_t>() { return kU8; }

struct Array {
    std::string name;
    int32_t dtype = 0;
    std::vector<int64_t> dims;
    std::vector<uint8_t> data;

    int64_t numel() const {
        int64_t k = 1;
        for (int64_t d : dims) k *= d;
        return k;
    }
    int64_t dim(size_t i) const {
        if (i >= dims.size()) throw Error("array " + name + " has " + std::to_string(dims.size()) + " dimensions, not " + std::to_string(i + 1));
        return dims[i];
    }
    template <typename T>
    std::vector<T> values() const {
        if (dtype != dtype_code<T>()) {
            throw Error("array " + name + " is " + dtype_name(dtype) + ", expected " + dtype_name(dtype_code<T>()));
        }
        std::vector<T> v(static_cast<size_t>(numel()));
        if (!v.empty()) std::memcpy(v.data(), data.data(), v.size() * sizeof(T));  // the files are little-endian, as is x86-64 / aarch64
        return v;
    }
    std::string shape() const {
        std::string s = "(";
        for (size_t i = 0; i < dims.size(); i++) s += (i ? ", " : "") + std::to_string(dims[i]);
        return s + (dims.size() == 1 ? ",)" : ")");
    }
};

struct Case {
    std::string name, kind;
    std::map<std::string, Array> arrays;

    const Array& get(const std::string& key) const {
        auto it = arrays.find(key);
        if (it == arrays.end()) throw Error("case " + name + " has no array '" + key + "'");
        return it->second;
    }
    // 2e-5 when any array is float32, else 1e-10 (ContractCasesTest.tolerance).
    double tolerance() const {
        for (const auto& [key, a] : arrays)
            if (a.dtype == kF32) return 2e-5;
        return 1e-10;
    }
};

inline Case read_case(const std::filesystem::path& file) {
    std::ifstream in(file, std::ios::binary);
    if (!in) throw Error("cannot open " + file.string());
    std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    size_t pos = 0;
    auto take = [&](void* dst, size_t count) {
        if (count > bytes.size() - pos) throw Error(file.string() + ": truncated at byte " + std::to_string(pos));
        if (count) std::memcpy(dst, bytes.data() + pos, count);
        pos += count;
    };
    char magic[8];
    take(magic, 8);
    if (std::memcmp(magic, "DWCASE1\n", 8) != 0) throw Error(file.string() + ": not a .dwcase file (bad magic)");
    int32_t count = 0;
    take(&count, 4);
    if (count < 0) throw Error(file.string() + ": negative array count");
    Case c;
    c.name = file.stem().string();
    c.kind = c.name.substr(0, c.name.find('_'));
    for (int32_t k = 0; k < count; k++) {
        Array a;
        int32_t name_length = 0, ndim = 0;
        take(&name_length, 4);
        if (name_length < 0 || name_length > 4096) throw Error(file.string() + ": bad name length");
        a.name.resize(static_cast<size_t>(name_length));
        take(a.name.data(), a.name.size());
        take(&a.dtype, 4);
        if (a.dtype < 0 || a.dtype > 4) throw Error(file.string() + ": array '" + a.name + "' has unknown dtype code " + std::to_string(a.dtype));
        take(&ndim, 4);
        if (ndim < 0 || ndim > 16) throw Error(file.string() + ": array '" + a.name + "' has bad ndim");
        a.dims.resize(static_cast<size_t>(ndim));
        for (auto& d : a.dims) {
            take(&d, 8);
            if (d < 0) throw Error(file.string() + ": array '" + a.name + "' has a negative dimension");
        }
        a.data.resize(static_cast<size_t>(a.numel()) * item_bytes(a.dtype));
        take(a.data.data(), a.data.size());
        std::string key = a.name;
        c.arrays[key] = std::move(a);
    }
    if (pos != bytes.size()) throw Error(file.string() + ": " + std::to_string(bytes.size() - pos) + " trailing bytes");
    return c;
}

// ================================================================================================================
// check mode
// ================================================================================================================

struct Comparison {
    bool ok = true;
    double max_err = 0, max_ratio = 0;  // largest |diff|, largest |diff| / tolerance, over the floating arrays
    std::string max_err_at, max_ratio_at;
    std::vector<std::string> problems;

    void fail(const std::string& what) {
        ok = false;
        if (problems.size() < 12) problems.push_back(what);
    }

    bool same_shape(const std::string& what, const Array& expected, const std::vector<int64_t>& got_dims) {
        if (expected.dims == got_dims) return true;
        Array g;
        g.dims = got_dims;
        fail(what + ": shape " + g.shape() + ", expected " + expected.shape());
        return false;
    }

    // |expected − got| ≤ tol elementwise; NaN must meet NaN.
    template <typename T>
    void close(const std::string& what, const Array& expected, const std::vector<T>& got, const std::vector<int64_t>& got_dims,
               double tol) {
        if (!same_shape(what, expected, got_dims)) return;
        std::vector<T> e = expected.values<T>();
        int shown = 0;
        for (size_t i = 0; i < e.size(); i++) {
            double ev = static_cast<double>(e[i]), gv = static_cast<double>(got[i]);
            double err = std::isnan(ev) ? (std::isnan(gv) ? 0.0 : INFINITY) : (std::isnan(gv) ? INFINITY : std::fabs(ev - gv));
            if (err > max_err || max_err_at.empty()) {
                max_err = err;
                max_err_at = what;
            }
            if (err / tol > max_ratio || max_ratio_at.empty()) {
                max_ratio = err / tol;
                max_ratio_at = what;
            }
            if (!(err <= tol)) {
                if (shown++ < 3) {
                    char text[256];
                    std::snprintf(text, sizeof text, "%s[%zu]: expected %.17g got %.17g (|diff| %.3g > tol %.3g)", what.c_str(), i, ev,
                                  gv, err, tol);
                    fail(text);
                } else {
                    ok = false;
                }
            }
        }
        if (shown > 3) fail(what + ": " + std::to_string(shown) + " elements outside tolerance in all");
    }

    // Exact equality of integer arrays (expected int64).
    template <typename G>
    void exact(const std::string& what, const Array& expected, const std::vector<G>& got, const std::vector<int64_t>& got_dims) {
        if (!same_shape(what, expected, got_dims)) return;
        std::vector<int64_t> e = expected.values<int64_t>();
        int shown = 0;
        for (size_t i = 0; i < e.size(); i++) {
            if (e[i] != static_cast<int64_t>(got[i])) {
                if (shown++ < 3) {
                    fail(what + "[" + std::to_string(i) + "]: expected " + std::to_string(e[i]) + " got " +
                         std::to_string(static_cast<int64_t>(got[i])));
                } else {
                    ok = false;
                }
            }
        }
        if (shown > 3) fail(what + ": " + std::to_string(shown) + " elements differ in all");
    }
};

struct CheckOptions {
    int block = kDefaultBlock;
    int gather_block = 0;  // 0: the block (KernelNms uses launcher.defaultBlock())
};

template <typename T>
DevBuf<T> to_device(const Array& a) {
    DevBuf<T> d;
    d.upload(a.values<T>());
    return d;
}

template <typename T>
std::string check_overlaps(const Case& c, const CheckOptions& o, Comparison& r) {
    const Array &a = c.get("a"), &b = c.get("b");
    int64_t n = a.dim(0), m = b.dim(0);
    DevBuf<T> da = to_device<T>(a), db = to_device<T>(b), out(static_cast<size_t>(n * m));
    for (bool giou : {false, true}) {
        run_pairwise_overlaps<T>(da.get(), db.get(), n, m, giou, o.block, out.get());
        dev_sync();
        r.close<T>(giou ? "giou" : "iou", c.get(giou ? "expect_giou" : "expect_iou"), out.download(), {n, m}, c.tolerance());
    }
    return std::to_string(n) + "x" + std::to_string(m);
}

template <typename T>
std::string check_priors(const Case& c, const CheckOptions& o, Comparison& r) {
    const Array& xy = c.get("xy");
    int64_t n = xy.dim(0);
    DevBuf<T> dxy = to_device<T>(xy), dstride = to_device<T>(c.get("stride")), dboxes = to_device<T>(c.get("boxes"));
    DevBuf<T> prior(static_cast<size_t>(n)), ctr(static_cast<size_t>(n));
    run_pair_priors<T>(dxy.get(), dstride.get(), dboxes.get(), n, o.block, prior.get(), ctr.get());
    dev_sync();
    r.close<T>("prior", c.get("expect_prior"), prior.download(), {n}, c.tolerance());
    r.close<T>("centerness", c.get("expect_centerness"), ctr.download(), {n}, c.tolerance());
    return "n=" + std::to_string(n);
}

template <typename T>
std::string check_nms(const Case& c, const CheckOptions& o, Comparison& r) {
    const Array& boxes = c.get("boxes");
    int64_t n = boxes.dim(0);
    double threshold = c.get("threshold").values<double>().at(0);
    DevBuf<T> dboxes = to_device<T>(boxes), dscores = to_device<T>(c.get("scores"));
    DevBuf<int64_t> dlabels = to_device<int64_t>(c.get("labels"));
    NmsWorkspace<T> w;
    int64_t k = run_nms<T>(w, dboxes.get(), dscores.get(), dlabels.get(), n, threshold, o.gather_block ? o.gather_block : o.block);
    dev_sync();
    r.exact("keep", c.get("expect_keep"), w.kept.download(static_cast<size_t>(k)), {k});
    char text[96];
    std::snprintf(text, sizeof text, "n=%" PRId64 " thr=%g kept=%" PRId64, n, threshold, k);
    return text;
}

template <typename T>
std::string check_dw(const Case& c, const CheckOptions& o, Comparison& r) {
    DwBatch<T> in;
    in.num_points = c.get("xy").dim(0);
    in.gt_begin = {0, c.get("gt_boxes").dim(0)};
    in.num_classes = c.get("cls_logits").dim(1);
    in.xy = to_device<T>(c.get("xy"));
    in.strides = to_device<T>(c.get("strides"));
    in.gt_boxes = to_device<T>(c.get("gt_boxes"));
    in.gt_labels = to_device<int64_t>(c.get("gt_labels"));
    in.cls_logits = to_device<T>(c.get("cls_logits"));
    in.obj_logits = to_device<T>(c.get("obj_logits"));
    in.distances = to_device<T>(c.get("distances"));
    std::vector<double> k = c.get("constants").values<double>();
    if (k.size() != 7) throw Error("constants must have 7 entries, found " + std::to_string(k.size()));
    DwConstants constants{k[0], k[1], k[2], k[3], k[4], k[5], k[6]};

    DwWorkspace<T> w;
    run_dw<T>(in, constants, o.block, w);
    dev_sync();
    const int64_t n = w.total_pairs, m = w.m[0], g = in.num_gt();
    const double tol = c.tolerance();

    r.exact("pair_point", c.get("expect_pair_point"), w.pair_point.download(), {n});
    r.exact("pair_gt", c.get("expect_pair_gt"), w.pair_gt.download(), {n});
    r.close<T>("pos_weight", c.get("expect_pos_weight"), w.pos_weight.download(), {n}, tol);

    // The kernel writes the P_neg entries in pair order; the expectation is sorted by index.
    if (m < 0 || m > n) {
        r.fail("neg count m=" + std::to_string(m) + " outside [0, n=" + std::to_string(n) + "]");
    } else {
        std::vector<int64_t> index = w.neg_index.download(static_cast<size_t>(m));
        std::vector<T> value = w.neg_value.download(static_cast<size_t>(m));
        std::vector<size_t> order(index.size());
        std::iota(order.begin(), order.end(), size_t{0});
        std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return index[a] < index[b]; });
        std::vector<int64_t> sorted_index(order.size());
        std::vector<T> sorted_value(order.size());
        for (size_t i = 0; i < order.size(); i++) {
            sorted_index[i] = index[order[i]];
            sorted_value[i] = value[order[i]];
        }
        r.exact("neg_index", c.get("expect_neg_index"), sorted_index, {m});
        r.close<T>("neg_value", c.get("expect_neg_value"), sorted_value, {m}, tol);
    }
    r.close<T>("neg_factor", c.get("expect_neg_factor"), w.neg_factor.download(1), {1}, tol * std::max<double>(1.0, double(m)));
    r.exact("inside_count", c.get("expect_inside_count"), w.counts.download(static_cast<size_t>(g)), {g});
    r.close<T>("max_iou", c.get("expect_max_iou"), w.max_iou.download(), {g}, tol);
    r.exact("num_good", c.get("expect_num_good"), w.num_good.download(), {g});
    r.close<T>("sum_weight", c.get("expect_sum_weight"), w.sum_weight.download(), {g}, tol * 10);

    char text[128];
    std::snprintf(text, sizeof text, "P=%" PRId64 " G=%" PRId64 " C=%" PRId64 " n=%" PRId64 " m=%" PRId64, in.num_points, g,
                  in.num_classes, n, m);
    return text;
}

// The float type of a case: that of its first floating input.
inline int32_t case_float_type(const Case& c) {
    static const char* inputs[] = {"a", "xy", "boxes", "distances"};
    for (const char* key : inputs) {
        auto it = c.arrays.find(key);
        if (it != c.arrays.end()) return it->second.dtype;
    }
    throw Error("case " + c.name + " has no floating input to take its dtype from");
}

template <typename T>
std::string check_case_as(const Case& c, const CheckOptions& o, Comparison& r) {
    if (c.kind == "overlaps") return check_overlaps<T>(c, o, r);
    if (c.kind == "priors") return check_priors<T>(c, o, r);
    if (c.kind == "nms") return check_nms<T>(c, o, r);
    if (c.kind == "dw") return check_dw<T>(c, o, r);
    throw Error("unknown case kind '" + c.kind + "'");
}

inline int run_check(const std::string& dir, const CheckOptions& o, const std::string& filter) {
    namespace fs = std::filesystem;
    if (!fs::is_directory(dir)) {
        std::fprintf(stderr, "check: %s is not a directory (the contract cases are written by the Java tests; see docs/gpu.md)\n",
                     dir.c_str());
        return 2;
    }
    std::vector<fs::path> files;
    for (const auto& entry : fs::directory_iterator(dir)) {
        if (entry.is_regular_file() && entry.path().extension() == ".dwcase" &&
            entry.path().filename().string().find(filter) != std::string::npos) {
            files.push_back(entry.path());
        }
    }
    std::sort(files.begin(), files.end());
    if (files.empty()) {
        std::fprintf(stderr, "check: no .dwcase files in %s%s\n", dir.c_str(), filter.empty() ? "" : " matching the filter");
        return 2;
    }
    const int gather = o.gather_block ? o.gather_block : o.block;
    std::printf("check: %zu cases in %s, block %s, gather block %s\n", files.size(), dir.c_str(),
                o.block == kBlockMax ? "max" : std::to_string(o.block).c_str(),
                gather == kBlockMax ? "max" : std::to_string(gather).c_str());
    int failed = 0;
    for (const auto& file : files) {
        Comparison r;
        std::string detail;
        std::string name = file.stem().string();
        auto t0 = std::chrono::steady_clock::now();
        try {
            Case c = read_case(file);
            int32_t ft = case_float_type(c);
            if (ft == kF32) detail = check_case_as<float>(c, o, r);
            else if (ft == kF64) detail = check_case_as<double>(c, o, r);
            else throw Error("floating inputs are " + std::string(dtype_name(ft)));
        } catch (const std::exception& e) {
            r.fail(std::string("error: ") + e.what());
        }
        double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
        if (!r.ok) failed++;
        char err[96];
        std::snprintf(err, sizeof err, "%s", r.ok ? "exact" : "-");
        if (!r.max_err_at.empty()) {
            std::snprintf(err, sizeof err, "%.3g (%s), err/tol %.3g (%s)", r.max_err, r.max_err_at.c_str(), r.max_ratio,
                          r.max_ratio_at.c_str());
        }
        std::printf("%-36s %s  max_abs_err %-52s %-42s %8.1f ms\n", name.c_str(), r.ok ? "PASS" : "FAIL", err, detail.c_str(),
                    ms);
        for (const auto& p : r.problems) std::printf("    %s\n", p.c_str());
        std::fflush(stdout);
    }
    std::printf("check: %zu passed, %d failed\n", files.size() - failed, failed);
    return failed ? 1 : 0;
}

// ================================================================================================================
// Seeded inputs for the benchmarks (the distributions of the Java tests' RandomInputs)
// ================================================================================================================

class Rng {
  public:
    explicit Rng(uint64_t seed) : gen_(seed) {}
    double uniform() { return std::uniform_real_distribution<double>(0.0, 1.0)(gen_); }
    double normal() { return std::normal_distribution<double>(0.0, 1.0)(gen_); }
    int64_t below(int64_t k) { return std::uniform_int_distribution<int64_t>(0, k - 1)(gen_); }

  private:
    std::mt19937_64 gen_;
};

// The FPN points of an h × w input: per stride s a ceil(h/s) × ceil(w/s) level, points ((j + 0.5)·s, (i + 0.5)·s)
// row-major, levels concatenated; computed as arange·s + s·0.5 in T like PointGrid.generate.
template <typename T>
void fpn_points(int h, int w, const std::vector<int>& strides, std::vector<T>& xy, std::vector<T>& stride) {
    xy.clear();
    stride.clear();
    for (int s : strides) {
        int lh = (h + s - 1) / s, lw = (w + s - 1) / s;
        for (int i = 0; i < lh; i++)
            for (int j = 0; j < lw; j++) {
                xy.push_back(static_cast<T>(j) * static_cast<T>(s) + static_cast<T>(s * 0.5));
                xy.push_back(static_cast<T>(i) * static_cast<T>(s) + static_cast<T>(s * 0.5));
                stride.push_back(static_cast<T>(s));
            }
    }
}

// A batch's DW inputs on the host (images of one size share the points), as the device gets them.
template <typename T>
struct DwBatchHost {
    std::vector<T> xy, strides, gt_boxes, cls_logits, obj_logits, distances;
    std::vector<int64_t> gt_labels, gt_begin{0};
    int64_t num_points = 0, num_classes = 0;
    int64_t images() const { return static_cast<int64_t>(gt_begin.size()) - 1; }
};

// Appends one image: GT boxes of a few classes (a fifth are near-copies of an earlier box, same class), distances
// that are noisy versions of the true distances to a containing box, logits ~ N(−2, 1.5²) and objectness ~ N(0, 1).
template <typename T>
void add_dw_image(Rng& r, int h, int w, int64_t num_gt, DwBatchHost<T>& batch) {
    const std::vector<T>& xy = batch.xy;
    const int64_t p = batch.num_points, num_classes = batch.num_classes;
    std::vector<double> boxes(static_cast<size_t>(4 * num_gt));
    std::vector<int64_t> labels(static_cast<size_t>(num_gt));
    for (int64_t k = 0; k < num_gt; k++) {
        if (k > 0 && r.below(5) == 0) {
            int64_t src = r.below(k);
            for (int c = 0; c < 4; c++) boxes[4 * k + c] = boxes[4 * src + c] + r.normal() * 3;
            labels[k] = labels[src];
        } else {
            double bw = 8 + r.uniform() * w * 0.6, bh = 8 + r.uniform() * h * 0.6;
            double x1 = r.uniform() * (w - bw), y1 = r.uniform() * (h - bh);
            boxes[4 * k] = x1;
            boxes[4 * k + 1] = y1;
            boxes[4 * k + 2] = x1 + bw;
            boxes[4 * k + 3] = y1 + bh;
            labels[k] = r.below(std::min<int64_t>(num_classes, 3));
        }
    }
    std::vector<double> dist(static_cast<size_t>(4 * p));
    for (auto& d : dist) d = 1 + std::fabs(r.normal()) * 40;
    for (int64_t k = 0; k < num_gt; k++) {
        double noise = 0.02 + 0.3 * r.uniform();
        const double* b = &boxes[4 * k];
        for (int64_t i = 0; i < p; i++) {
            double x = xy[2 * i], y = xy[2 * i + 1];
            if (x > b[0] && y > b[1] && x < b[2] && y < b[3]) {
                double truth[4] = {x - b[0], y - b[1], b[2] - x, b[3] - y};
                for (int c = 0; c < 4; c++) dist[4 * i + c] = truth[c] * std::exp(noise * r.normal());
            }
        }
    }
    for (int64_t i = 0; i < p * num_classes; i++) batch.cls_logits.push_back(static_cast<T>(-2 + 1.5 * r.normal()));
    for (int64_t i = 0; i < p; i++) batch.obj_logits.push_back(static_cast<T>(r.normal()));
    for (double v : boxes) batch.gt_boxes.push_back(static_cast<T>(v));
    for (double v : dist) batch.distances.push_back(static_cast<T>(v));
    batch.gt_labels.insert(batch.gt_labels.end(), labels.begin(), labels.end());
    batch.gt_begin.push_back(batch.gt_begin.back() + num_gt);
}

// A seeded batch of `images` images of h × w with num_gt GTs each.
template <typename T>
DwBatchHost<T> make_dw_batch(uint64_t seed, int h, int w, int64_t num_gt, int64_t num_classes, int images) {
    DwBatchHost<T> batch;
    fpn_points<T>(h, w, {8, 16, 32, 64, 128}, batch.xy, batch.strides);
    batch.num_points = static_cast<int64_t>(batch.strides.size());
    batch.num_classes = num_classes;
    Rng r(seed);
    for (int b = 0; b < images; b++) add_dw_image<T>(r, h, w, num_gt, batch);
    return batch;
}

template <typename T>
void upload_dw_batch(const DwBatchHost<T>& host, DwBatch<T>& dev) {
    dev.num_points = host.num_points;
    dev.num_classes = host.num_classes;
    dev.gt_begin = host.gt_begin;
    dev.xy.upload(host.xy);
    dev.strides.upload(host.strides);
    dev.gt_boxes.upload(host.gt_boxes);
    dev.gt_labels.upload(host.gt_labels);
    dev.cls_logits.upload(host.cls_logits);
    dev.obj_logits.upload(host.obj_logits);
    dev.distances.upload(host.distances);
}

// (n, 4) boxes in clusters of ~20 (so NMS has work), 2% degenerate (zero width); coordinates in [0, 1000).
template <typename T>
std::vector<T> random_boxes(Rng& r, int64_t n) {
    int64_t clusters = std::max<int64_t>(1, n / 20);
    std::vector<double> centres(static_cast<size_t>(4 * clusters));
    for (int64_t c = 0; c < clusters; c++) {
        centres[4 * c] = r.uniform() * 900 + 50;
        centres[4 * c + 1] = r.uniform() * 900 + 50;
        centres[4 * c + 2] = 10 + r.uniform() * 120;
        centres[4 * c + 3] = 10 + r.uniform() * 120;
    }
    std::vector<T> b(static_cast<size_t>(4 * n));
    for (int64_t i = 0; i < n; i++) {
        const double* c = &centres[4 * r.below(clusters)];
        double cx = c[0] + r.normal() * c[2] * 0.15, cy = c[1] + r.normal() * c[3] * 0.15;
        double bw = c[2] * std::exp(0.2 * r.normal()), bh = c[3] * std::exp(0.2 * r.normal());
        if (r.below(50) == 0) bw = 0;
        b[4 * i] = static_cast<T>(cx - bw / 2);
        b[4 * i + 1] = static_cast<T>(cy - bh / 2);
        b[4 * i + 2] = static_cast<T>(cx + bw / 2);
        b[4 * i + 3] = static_cast<T>(cy + bh / 2);
    }
    return b;
}

// Scores in (0, 1), a quarter rounded to 1/64 (ties).
template <typename T>
std::vector<T> random_scores(Rng& r, int64_t n) {
    std::vector<T> s(static_cast<size_t>(n));
    for (auto& v : s) v = static_cast<T>(r.below(4) == 0 ? std::round(r.uniform() * 64) / 64.0 : r.uniform());
    return s;
}

// ================================================================================================================
// CPU reference (verify mode): the DW weighting and class-aware NMS written out again, sequentially, from
// docs/DW_SPEC.md and CpuNms, on the same inputs as the kernels. Per-pair quantities are computed in T with the
// kernels' expression order (so, with -fmad=false on the device, IoUs and the decisions taken on them are identical);
// sums run sequentially in double.
// ================================================================================================================

template <typename T>
struct DwReference {  // one image
    std::vector<int64_t> pair_point, pair_gt, inside_count, num_good, neg_index;
    std::vector<double> pos_weight, max_iou, sum_weight, neg_value;
    double neg_factor = 0;
};

template <typename T>
T ref_overlap(const T* a, const T* b, bool giou, T eps) {
    T area_a = (a[2] - a[0]) * (a[3] - a[1]);
    T area_b = (b[2] - b[0]) * (b[3] - b[1]);
    T w = std::max(std::min(a[2], b[2]) - std::max(a[0], b[0]), T(0));
    T h = std::max(std::min(a[3], b[3]) - std::max(a[1], b[1]), T(0));
    T inter = w * h;
    T uni = std::max(area_a + area_b - inter, eps);
    T iou = inter / uni;
    if (!giou) return iou;
    T ew = std::max(std::max(a[2], b[2]) - std::min(a[0], b[0]), T(0));
    T eh = std::max(std::max(a[3], b[3]) - std::min(a[1], b[1]), T(0));
    T enclose = std::max(ew * eh, eps);
    return iou - (enclose - uni) / enclose;
}

template <typename T>
bool ref_inside(T x, T y, const T* b) { return x > b[0] && y > b[1] && b[2] > x && b[3] > y; }

template <typename T>
DwReference<T> dw_reference(const DwBatchHost<T>& in, int64_t image, const DwConstants& c) {
    DwReference<T> out;
    const int64_t P = in.num_points, C = in.num_classes, g0 = in.gt_begin[image], g1 = in.gt_begin[image + 1];
    const T* xy = in.xy.data();
    const T* cls = in.cls_logits.data() + image * P * C;
    const T* obj = in.obj_logits.data() + image * P;
    const T* dist = in.distances.data() + image * P * 4;
    const T k_two_sigma_sq = T(c.two_sigma_sq), k_loc = T(c.loc_scale), k_pos = T(c.pos_sharpness),
            k_norm = T(c.norm_sharpness), k_thr = T(c.neg_iou_threshold), k_slope = T(c.neg_slope), k_eps = T(c.eps);
    auto sigmoid = [](T v) { return T(1) / (T(1) + std::exp(-v)); };
    std::vector<T> neg_per_pair;
    for (int64_t g = g0; g < g1; g++) {
        const T* box = &in.gt_boxes[4 * g];
        const int64_t label = in.gt_labels[g];
        size_t first = out.pair_point.size();
        double norm = 0, best = -INFINITY;
        T lo = T(INFINITY), hi = T(-INFINITY);
        int64_t good = 0;
        std::vector<T> numerators, us, ious;
        for (int64_t p = 0; p < P; p++) {
            T x = xy[2 * p], y = xy[2 * p + 1];
            if (!ref_inside(x, y, box)) continue;
            out.pair_point.push_back(p);
            out.pair_gt.push_back(g - g0);
            const T* d = dist + 4 * p;
            T predicted[4] = {x - d[0], y - d[1], x + d[2], y + d[3]};
            T target[4] = {x - (x - box[0]), y - (y - box[1]), x + (box[2] - x), y + (box[3] - y)};
            T iou = ref_overlap(predicted, target, false, T(1e-6));
            T giou_loss = T(1) - ref_overlap(predicted, target, true, T(1e-6));
            T p_loc = std::exp(giou_loss * -k_loc);
            T t = sigmoid(cls[p * C + label]) * sigmoid(obj[p]) * p_loc;
            T cx = (box[0] + box[2]) / T(2), cy = (box[1] + box[3]) / T(2);
            T dx = (x - cx) / in.strides[p], dy = (y - cy) / in.strides[p];
            T prior = std::exp(-(dx * dx) / k_two_sigma_sq) * std::exp(-(dy * dy) / k_two_sigma_sq);
            numerators.push_back(std::exp(t * k_pos) * t * prior);
            norm += double(std::exp(t * k_norm) * t * prior);
            T u = iou * iou * k_slope - k_slope;
            lo = std::min(lo, u);
            hi = std::max(hi, u);
            best = std::max(best, double(iou));
            good += iou >= k_thr;
            us.push_back(u);
            ious.push_back(iou);
        }
        hi = std::min(hi, T(1));
        double z = std::max(norm, double(k_eps)), weight_sum = 0;
        for (size_t q = 0; q < numerators.size(); q++) {
            double w = double(numerators[q]) / z;
            out.pos_weight.push_back(w);
            weight_sum += w;
            neg_per_pair.push_back(ious[q] < k_thr ? T(1) : (us[q] - lo + k_eps) / (hi - lo + k_eps));
        }
        out.inside_count.push_back(static_cast<int64_t>(out.pair_point.size() - first));
        out.max_iou.push_back(numerators.empty() ? NAN : best);
        out.num_good.push_back(good);
        out.sum_weight.push_back(weight_sum);
    }
    // P_neg: the last write wins; pair order kept (the kernels' order).
    for (size_t k = 0; k < out.pair_point.size(); k++) {
        int64_t p = out.pair_point[k], g = g0 + out.pair_gt[k], label = in.gt_labels[g];
        bool last = true;
        for (int64_t later = g + 1; later < g1 && last; later++) {
            last = !(in.gt_labels[later] == label && ref_inside(xy[2 * p], xy[2 * p + 1], &in.gt_boxes[4 * later]));
        }
        if (!last) continue;
        out.neg_index.push_back(p * C + label);
        out.neg_value.push_back(neg_per_pair[k]);
        out.neg_factor += 1 - double(neg_per_pair[k]);
    }
    return out;
}

// Greedy class-aware NMS as CpuNms: by descending score (ties: input index), a box is kept unless a kept box of its
// class has inter > thr · (area_i + area_j − inter) in double. Kept boxes are bucketed on a grid as wide as the widest
// box, so only neighbouring cells are compared (exact: boxes that overlap lie in adjacent cells).
template <typename T>
std::vector<int64_t> nms_reference(const std::vector<T>& boxes, const std::vector<T>& scores,
                                   const std::vector<int64_t>& labels, double thr) {
    const int64_t n = static_cast<int64_t>(scores.size());
    std::vector<int64_t> order(static_cast<size_t>(n));
    std::iota(order.begin(), order.end(), int64_t{0});
    std::stable_sort(order.begin(), order.end(), [&](int64_t a, int64_t b) { return scores[a] > scores[b]; });
    double cell = 1;
    for (int64_t i = 0; i < n; i++) {
        cell = std::max({cell, double(boxes[4 * i + 2]) - double(boxes[4 * i]), double(boxes[4 * i + 3]) - double(boxes[4 * i + 1])});
    }
    std::map<std::tuple<int64_t, int64_t, int64_t>, std::vector<int64_t>> grid;  // (label, cx, cy) → kept boxes
    std::vector<int64_t> kept;
    for (int64_t i : order) {
        const T* a = &boxes[4 * i];
        int64_t cx = static_cast<int64_t>(std::floor(double(a[0]) / cell)), cy = static_cast<int64_t>(std::floor(double(a[1]) / cell));
        bool suppressed = false;
        for (int64_t dx = -1; dx <= 1 && !suppressed; dx++) {
            for (int64_t dy = -1; dy <= 1 && !suppressed; dy++) {
                auto it = grid.find({labels[i], cx + dx, cy + dy});
                if (it == grid.end()) continue;
                for (int64_t j : it->second) {
                    const T* b = &boxes[4 * j];
                    double w = std::max(0.0, std::min(double(a[2]), double(b[2])) - std::max(double(a[0]), double(b[0])));
                    double h = std::max(0.0, std::min(double(a[3]), double(b[3])) - std::max(double(a[1]), double(b[1])));
                    double inter = w * h;
                    double area_a = (double(a[2]) - double(a[0])) * (double(a[3]) - double(a[1]));
                    double area_b = (double(b[2]) - double(b[0])) * (double(b[3]) - double(b[1]));
                    if (inter > thr * (area_a + area_b - inter)) {
                        suppressed = true;
                        break;
                    }
                }
            }
        }
        if (!suppressed) {
            kept.push_back(i);
            grid[{labels[i], cx, cy}].push_back(i);
        }
    }
    return kept;
}

// ================================================================================================================
// verify mode: COCO-scale kernels against the CPU reference on identical inputs
// ================================================================================================================

struct VerifyOptions {
    bool coco = kOnGpu;
    int block = kDefaultBlock;
    uint64_t seed = 1234;
    std::string only = "dw,nms";
};

struct Mismatch {
    std::vector<std::string> problems;
    double worst = 0;  // largest err / tol
    void fail(const std::string& p) {
        if (problems.size() < 4) problems.push_back(p);
        else if (problems.size() == 4) problems.push_back("...");
    }
    template <typename A, typename B>
    void exact(const std::string& what, const std::vector<A>& e, const std::vector<B>& g) {
        if (e.size() != g.size()) return fail(what + ": " + std::to_string(e.size()) + " expected, " + std::to_string(g.size()) + " got");
        for (size_t i = 0; i < e.size(); i++) {
            if (static_cast<int64_t>(e[i]) != static_cast<int64_t>(g[i])) {
                return fail(what + "[" + std::to_string(i) + "]: expected " + std::to_string(static_cast<int64_t>(e[i])) + " got " +
                            std::to_string(static_cast<int64_t>(g[i])));
            }
        }
    }
    template <typename B>
    void close(const std::string& what, const std::vector<double>& e, const std::vector<B>& g, double tol) {
        if (e.size() != g.size()) return fail(what + ": " + std::to_string(e.size()) + " expected, " + std::to_string(g.size()) + " got");
        for (size_t i = 0; i < e.size(); i++) {
            double got = double(g[i]);
            if (std::isnan(e[i]) || std::isnan(got)) {
                if (std::isnan(e[i]) != std::isnan(got)) return fail(what + "[" + std::to_string(i) + "]: NaN mismatch");
                continue;
            }
            double err = std::fabs(e[i] - got);
            worst = std::max(worst, err / tol);
            if (err > tol) {
                char text[200];
                std::snprintf(text, sizeof text, "%s[%zu]: expected %.9g got %.9g (tol %.1e)", what.c_str(), i, e[i], got, tol);
                return fail(text);
            }
        }
    }
};

template <typename T>
bool verify_dw(const VerifyOptions& o, int h, int w, int64_t num_gt, int images, uint64_t seed) {
    const int64_t num_classes = 80;
    DwBatchHost<T> host = make_dw_batch<T>(seed, h, w, num_gt, num_classes, images);
    DwBatch<T> dev;
    upload_dw_batch(host, dev);
    DwWorkspace<T> ws;
    DwConstants k;
    auto t0 = std::chrono::steady_clock::now();
    run_dw<T>(dev, k, o.block, ws);
    dev_sync();
    double kernel_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    Mismatch r;
    const double tol = std::is_same_v<T, float> ? 2e-5 : 1e-10;
    std::vector<int64_t> pair_point = ws.pair_point.download(), pair_gt = ws.pair_gt.download(), neg_index = ws.neg_index.download();
    std::vector<int64_t> num_good = ws.num_good.download();
    std::vector<T> pos_weight = ws.pos_weight.download(), neg_value = ws.neg_value.download(), max_iou = ws.max_iou.download(),
                   sum_weight = ws.sum_weight.download(), factor = ws.neg_factor.download();
    std::vector<int32_t> counts = ws.counts.download();
    int64_t pairs = 0, negs = 0;
    t0 = std::chrono::steady_clock::now();
    for (int64_t b = 0; b < images; b++) {
        DwReference<T> e = dw_reference(host, b, k);
        const std::string at = "image " + std::to_string(b) + " ";
        const size_t p0 = static_cast<size_t>(ws.pair_begin[b]), nb = static_cast<size_t>(ws.n[b]), mb = static_cast<size_t>(ws.m[b]);
        const size_t g0 = static_cast<size_t>(host.gt_begin[b]), gb = static_cast<size_t>(host.gt_begin[b + 1]) - g0;
        auto slice = [](const auto& v, size_t from, size_t count) {
            return std::vector<typename std::decay_t<decltype(v)>::value_type>(v.begin() + from, v.begin() + from + count);
        };
        r.exact(at + "inside_count", e.inside_count, slice(counts, g0, gb));
        r.exact(at + "pair_point", e.pair_point, slice(pair_point, p0, nb));
        r.exact(at + "pair_gt", e.pair_gt, slice(pair_gt, p0, nb));
        r.exact(at + "num_good (IoU >= 0.5)", e.num_good, slice(num_good, g0, gb));
        r.exact(at + "neg_index (P_neg entries)", e.neg_index, slice(neg_index, p0, mb));
        r.close(at + "pos_weight", e.pos_weight, slice(pos_weight, p0, nb), tol);
        r.close(at + "neg_value", e.neg_value, slice(neg_value, p0, mb), tol);
        r.close(at + "max_iou", e.max_iou, slice(max_iou, g0, gb), tol);
        r.close(at + "sum_weight", e.sum_weight, slice(sum_weight, g0, gb), tol * 10);
        r.close(at + "neg_factor", std::vector<double>{e.neg_factor}, std::vector<T>{factor[b]}, tol * std::max<double>(1, double(mb)));
        pairs += static_cast<int64_t>(nb);
        negs += static_cast<int64_t>(mb);
    }
    double ref_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    std::printf("verify dw %s P=%" PRId64 " G=%" PRId64 " batch %d  %s  n=%" PRId64 " m=%" PRId64 " worst err/tol %.3g  (kernels %.1f ms, "
                "reference %.0f ms)\n", std::is_same_v<T, float> ? "f32" : "f64", host.num_points, num_gt, images,
                r.problems.empty() ? "PASS" : "FAIL", pairs, negs, r.worst, kernel_ms, ref_ms);
    for (const auto& p : r.problems) std::printf("    %s\n", p.c_str());
    return r.problems.empty();
}

template <typename T>
bool verify_nms(const VerifyOptions& o, int64_t n, int64_t classes, double thr, uint64_t seed,
                int64_t budget = kNmsMaskBudgetBytes) {
    Rng r(seed);
    std::vector<T> boxes = random_boxes<T>(r, n), scores = random_scores<T>(r, n);
    std::vector<int64_t> labels(static_cast<size_t>(n));
    for (auto& v : labels) v = r.below(classes);
    DevBuf<T> db, ds;
    DevBuf<int64_t> dl;
    db.upload(boxes);
    ds.upload(scores);
    dl.upload(labels);
    NmsWorkspace<T> w;
    int64_t k = run_nms<T>(w, db.get(), ds.get(), dl.get(), n, thr, o.block, budget);
    std::vector<int64_t> got = w.kept.download(static_cast<size_t>(k));
    std::vector<int64_t> expected = nms_reference(boxes, scores, labels, thr);
    Mismatch m;
    m.exact("kept", expected, got);
    std::printf("verify nms %s N=%" PRId64 " classes=%" PRId64 " thr=%.1f  %s  kept %" PRId64 " (reference %zu), mask strips of %" PRId64
                " rows\n", std::is_same_v<T, float> ? "f32" : "f64", n, classes, thr, m.problems.empty() ? "PASS" : "FAIL", k,
                expected.size(), std::min<int64_t>(n, nms_tiles_per_strip(n, budget) * kNmsTile));
    for (const auto& p : m.problems) std::printf("    %s\n", p.c_str());
    return m.problems.empty();
}

inline bool listed(const std::string& list, const char* what) {
    std::stringstream ss(list);
    std::string item;
    while (std::getline(ss, item, ','))
        if (item == what) return true;
    return false;
}

inline int run_verify(const VerifyOptions& o) {
    int failed = 0, passed = 0;
    auto count = [&](bool ok) { (ok ? passed : failed)++; };
    if (listed(o.only, "dw")) {
        if (o.coco) {
            for (int64_t g : {int64_t{50}, int64_t{300}})
                for (int b : {2, 16}) count(verify_dw<float>(o, 800, 1088, g, b, o.seed + static_cast<uint64_t>(g * 31 + b)));
        } else {
            count(verify_dw<float>(o, 320, 480, 20, 2, o.seed));
            count(verify_dw<float>(o, 256, 320, 60, 3, o.seed + 1));
            count(verify_dw<double>(o, 256, 320, 30, 2, o.seed + 2));
        }
    }
    if (listed(o.only, "nms")) {
        const std::vector<int64_t> sizes = o.coco ? std::vector<int64_t>{5000, 30000, 100000} : std::vector<int64_t>{1000, 3000};
        for (int64_t n : sizes)
            for (int64_t classes : {int64_t{80}, int64_t{1}}) count(verify_nms<float>(o, n, classes, 0.5, o.seed + static_cast<uint64_t>(n + classes)));
        if (!o.coco) {
            count(verify_nms<double>(o, 2000, 5, 0.6, o.seed + 7));
            count(verify_nms<float>(o, 3000, 1, 0.5, o.seed + 8, 100000));  // the mask in strips of 256 rows
        }
    }
    std::printf("verify: %d passed, %d failed (scale %s, block %s)\n", passed, failed, o.coco ? "coco" : "small",
                o.block == kBlockMax ? "max" : std::to_string(o.block).c_str());
    return failed == 0 ? 0 : 1;
}

// ================================================================================================================
// bench mode
// ================================================================================================================

struct BenchOptions {
    bool full = kOnGpu;
    int runs = kOnGpu ? 30 : 5;
    int warmup = kOnGpu ? 5 : 1;
    int block = kDefaultBlock;
    uint64_t seed = 1234;
    std::string only = "dw,nms,iou";
    std::string dw_cases;   // G:B,... (default: 50:2 full, 20:2 small)
    std::string nms_sizes;  // N,... (default: 5000,30000 full, 1000,3000 small)
    std::string csv;        // also write key,median_ms,min_ms,max_ms rows here
};

struct Row {
    std::string name, size, key;  // key: the join key with bench_torch.py's CSV
    double median = 0, min = 0, max = 0;
    int runs = 0;
    std::string note;
};

inline Row timed(const std::string& name, const std::string& size, const BenchOptions& o, const std::function<void()>& body) {
    Timer timer;
    for (int i = 0; i < o.warmup; i++) body();
    dev_sync();
    std::vector<double> ms;
    for (int i = 0; i < o.runs; i++) {
        timer.start();
        body();
        ms.push_back(timer.stop_ms());
    }
    dev_sync();
    std::sort(ms.begin(), ms.end());
    Row row;
    row.name = name;
    row.size = size;
    size_t k = ms.size();
    row.median = k % 2 ? ms[k / 2] : 0.5 * (ms[k / 2 - 1] + ms[k / 2]);
    row.min = ms.front();
    row.max = ms.back();
    row.runs = static_cast<int>(k);
    return row;
}

inline bool wanted(const BenchOptions& o, const char* what) {
    std::stringstream ss(o.only);
    std::string item;
    while (std::getline(ss, item, ','))
        if (item == what) return true;
    return false;
}

inline int run_bench(const BenchOptions& o) {
    std::vector<Row> rows;
    char size[160], note[160];

    // (a) fused DW weighting, float32: one launch sequence and one host read per batch (as KernelDwAssigner).
    if (wanted(o, "dw")) {
        const int h = o.full ? 800 : 320, w = o.full ? 1088 : 480;
        const int64_t num_classes = 80;
        std::stringstream cases(o.dw_cases.empty() ? (o.full ? "50:2" : "20:2") : o.dw_cases);
        std::string item;
        while (std::getline(cases, item, ',')) {
            size_t colon = item.find(':');
            if (colon == std::string::npos) throw Error("--dw-cases takes G:B items, found '" + item + "'");
            const int64_t num_gt = std::stoll(item.substr(0, colon));
            const int batch = std::stoi(item.substr(colon + 1));
            DwBatchHost<float> host = make_dw_batch<float>(o.seed, h, w, num_gt, num_classes, batch);
            DwBatch<float> dev;
            upload_dw_batch(host, dev);
            DwWorkspace<float> ws;
            DwConstants k;
            Row row = timed("dw_weighting f32", "", o, [&] { run_dw<float>(dev, k, o.block, ws); });
            std::snprintf(size, sizeof size, "%dx%d P=%" PRId64 " G=%" PRId64 " C=%" PRId64 " batch %d", h, w, host.num_points,
                          num_gt, num_classes, batch);
            int64_t m = 0;
            for (int64_t v : ws.m) m += v;
            std::snprintf(note, sizeof note, "n=%" PRId64 " pairs, m=%" PRId64 ", 1 host read", ws.total_pairs, m);
            row.size = size;
            row.note = note;
            row.key = "dw G=" + std::to_string(num_gt) + " B=" + std::to_string(batch);
            rows.push_back(row);
        }
    }

    // (b) NMS including the stable sort, class-aware (80 classes) and class-agnostic (one label).
    if (wanted(o, "nms")) {
        std::stringstream list(o.nms_sizes.empty() ? (o.full ? "5000,30000" : "1000,3000") : o.nms_sizes);
        std::vector<int64_t> sizes;
        std::string item;
        while (std::getline(list, item, ',')) sizes.push_back(std::stoll(item));
        const double threshold = 0.5;
        for (int64_t n : sizes) {
            for (int64_t classes : {int64_t{80}, int64_t{1}}) {
                Rng r(o.seed + static_cast<uint64_t>(n) * 7 + static_cast<uint64_t>(classes));
                DevBuf<float> boxes, scores;
                DevBuf<int64_t> labels;
                boxes.upload(random_boxes<float>(r, n));
                scores.upload(random_scores<float>(r, n));
                std::vector<int64_t> l(static_cast<size_t>(n));
                for (auto& v : l) v = r.below(classes);
                labels.upload(l);
                NmsWorkspace<float> wsn;
                int64_t kept = 0;
                Row row = timed(classes > 1 ? "nms class-aware f32" : "nms class-agnostic f32", "", o, [&] {
                    kept = run_nms<float>(wsn, boxes.get(), scores.get(), labels.get(), n, threshold, o.block);
                });
                std::snprintf(size, sizeof size, "N=%" PRId64 " classes=%" PRId64 " thr=%.1f", n, classes, threshold);
                std::snprintf(note, sizeof note, "kept=%" PRId64 ", incl. sort + kept-count read", kept);
                row.size = size;
                row.note = note;
                row.key = "nms N=" + std::to_string(n) + " C=" + std::to_string(classes);
                rows.push_back(row);
            }
        }
    }

    // (c) pairwise IoU / GIoU, 20000 × 50.
    if (wanted(o, "iou")) {
        const int64_t n = o.full ? 20000 : 2000, m = 50;
        Rng r(o.seed + 99);
        DevBuf<float> a, b, out(static_cast<size_t>(n * m));
        a.upload(random_boxes<float>(r, n));
        b.upload(random_boxes<float>(r, m));
        for (bool giou : {false, true}) {
            Row row = timed(giou ? "pairwise giou f32" : "pairwise iou f32", "", o,
                            [&] { run_pairwise_overlaps<float>(a.get(), b.get(), n, m, giou, o.block, out.get()); });
            std::snprintf(size, sizeof size, "%" PRId64 "x%" PRId64, n, m);
            row.size = size;
            row.key = std::string(giou ? "giou " : "iou ") + size;
            rows.push_back(row);
        }
    }

    std::printf("\n%-24s %-44s %10s %10s %10s %5s  %s\n", "benchmark", "size", "median ms", "min ms", "max ms", "runs", "notes");
    std::printf("%s\n", std::string(130, '-').c_str());
    for (const Row& row : rows) {
        std::printf("%-24s %-44s %10.3f %10.3f %10.3f %5d  %s\n", row.name.c_str(), row.size.c_str(), row.median, row.min,
                    row.max, row.runs, row.note.c_str());
    }
    if (!o.csv.empty()) {
        std::ofstream f(o.csv);
        if (!f) throw Error("cannot write " + o.csv);
        for (const Row& row : rows) f << row.key << "," << row.median << "," << row.min << "," << row.max << "\n";
    }
    std::printf("\nblock %d, %d warm-up + %d timed runs, scale %s, seed %llu\n", o.block, o.warmup, o.runs,
                o.full ? "full" : "small", static_cast<unsigned long long>(o.seed));
    return 0;
}

// ================================================================================================================
// main
// ================================================================================================================

inline void usage(FILE* f) {
    std::fprintf(f,
                 "usage:\n"
                 "  dw_kernel_harness check DIR [--block N|max] [--gather-block N] [--filter TEXT]\n"
                 "  dw_kernel_harness limits\n"
                 "      each kernel's most threads per block (launch bound; on CUDA the driver's attribute).\n"
                 "  dw_kernel_harness verify [--scale small|coco] [--block N|max] [--seed N] [--only dw,nms]\n"
                 "      seeded inputs through the kernels and through a sequential CPU reference; one line per case;\n"
                 "      coco: P=18,134, G=50/300, batch 2/16; NMS 5k/30k/100k boxes, 80 classes and 1.\n"
                 "      runs every *.dwcase contract case in DIR (overlaps_*, priors_*, nms_*, dw_*), one line per case;\n"
                 "      exits 1 if any case fails, 2 on usage errors or when DIR holds no cases.\n"
                 "  dw_kernel_harness bench [--scale small|full] [--runs N] [--warmup N] [--block N] [--seed N]\n"
                 "                          [--only dw,nms,iou] [--dw-cases G:B,...] [--nms-sizes N,...] [--csv FILE]\n"
                 "      times the fused DW weighting (per batch), NMS (with sort) and pairwise IoU on seeded random inputs.\n"
                 "defaults: block %d; bench scale %s, %d runs after %d warm-up runs.\n",
                 kDefaultBlock, kOnGpu ? "full" : "small", kOnGpu ? 30 : 5, kOnGpu ? 5 : 1);
}

inline int parse_int(const std::string& flag, const char* text, int lo, int hi) {
    char* end = nullptr;
    long v = std::strtol(text, &end, 10);
    if (!*text || *end || v < lo || v > hi) throw Error(flag + " takes an integer in [" + std::to_string(lo) + ", " + std::to_string(hi) + "]");
    return static_cast<int>(v);
}

inline bool power_of_two(int v) { return v > 0 && (v & (v - 1)) == 0; }

inline int main_impl(int argc, char** argv) {
    if (argc < 2 || std::string(argv[1]) == "--help" || std::string(argv[1]) == "-h") {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    const std::string mode = argv[1];
    std::vector<std::string> positional;
    CheckOptions co;
    BenchOptions bo;
    VerifyOptions vo;
    std::string filter;
    for (int i = 2; i < argc; i++) {
        std::string a = argv[i];
        auto value = [&]() -> const char* {
            if (i + 1 >= argc) throw Error(a + " needs a value");
            return argv[++i];
        };
        if (a == "--block") {
            const char* v = value();
            if (std::string(v) == "max") {
                co.block = bo.block = vo.block = kBlockMax;
            } else {
                co.block = bo.block = vo.block = parse_int(a, v, 1, 1024);
                if (!power_of_two(co.block)) throw Error("--block must be a power of two in [1, 1024], or max");
            }
        } else if (a == "--gather-block") {
            co.gather_block = parse_int(a, value(), 1, 1024);
        } else if (a == "--filter") {
            filter = value();
        } else if (a == "--scale") {
            std::string s = value();
            if (s != "small" && s != "full" && s != "coco") throw Error("--scale takes small, full or coco");
            bo.full = s != "small";
            vo.coco = s != "small";
        } else if (a == "--dw-cases") {
            bo.dw_cases = value();
        } else if (a == "--nms-sizes") {
            bo.nms_sizes = value();
        } else if (a == "--csv") {
            bo.csv = value();
        } else if (a == "--runs") {
            bo.runs = parse_int(a, value(), 1, 100000);
        } else if (a == "--warmup") {
            bo.warmup = parse_int(a, value(), 0, 100000);
        } else if (a == "--seed") {
            bo.seed = vo.seed = static_cast<uint64_t>(parse_int(a, value(), 0, INT_MAX));
        } else if (a == "--only") {
            bo.only = vo.only = value();
        } else if (!a.empty() && a[0] == '-') {
            throw Error("unknown option " + a);
        } else {
            positional.push_back(a);
        }
    }
    if (mode == "limits") {
        std::printf("%s\n", backend_init().c_str());
        std::string line = "limits:";
#define DWH_PRINT_LIMIT(fn, synchronises, bound) line += " " #fn "=" + std::to_string(max_threads(#fn));
        DW_KERNELS(DWH_PRINT_LIMIT)
#undef DWH_PRINT_LIMIT
        std::printf("%s\n", line.c_str());
        return 0;
    }
    if (mode == "check") {
        if (positional.size() != 1) {
            usage(stderr);
            return 2;
        }
        std::printf("%s\n", backend_init().c_str());
        return run_check(positional[0], co, filter);
    }
    if (mode == "verify") {
        if (!positional.empty()) {
            usage(stderr);
            return 2;
        }
        std::printf("%s\n", backend_init().c_str());
        return run_verify(vo);
    }
    if (mode == "bench") {
        if (!positional.empty()) {
            usage(stderr);
            return 2;
        }
        std::printf("%s\n", backend_init().c_str());
        return run_bench(bo);
    }
    usage(stderr);
    return 2;
}

}  // namespace dwh

int main(int argc, char** argv) {
    try {
        return dwh::main_impl(argc, argv);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "dw_kernel_harness: %s\n", e.what());
        return 2;
    }
}
