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
// class_end[i] = end (exclusive) of the run of sorted_labels[i] in the ascending sorted_labels: an upper-bound search
// (KernelNms computes it with unique_consecutive counts, cumsum and repeat_interleave).
extern "C" __global__ void dwh_class_end(const int64_t* sorted_labels, int64_t n, int64_t* class_end) {
    int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
    if (i >= n) return;
    int64_t label = sorted_labels[i], lo = i + 1, hi = n;
    while (lo < hi) {
        int64_t mid = lo + (hi - lo) / 2;
        if (sorted_labels[mid] > label) hi = mid; else lo = mid + 1;
    }
    class_end[i] = lo;
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
    DW_REGISTER_KERNEL(dwh_class_end, false, DW_MAX_BLOCK);
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
struct NmsWorkspace {
    DevBuf<int64_t> iota, by_score, labels_by_score, order, sorted_labels, class_end, grouped, kept_by_index, kept, count;
    DevBuf<T> sorted_scores, sorted_boxes, kept_scores, kept_scores_sorted;
    DevBuf<uint64_t> mask;
    DevBuf<uint8_t> keep, temp;
};

// KernelNms.batchedNms: two stable sorts group the boxes by class in descending score (ties: input order); the class
// run ends; dw_nms_mask on a (words, words) grid of 64-thread blocks; dw_nms_gather_keep in one block of gather_block
// threads; the survivors then ordered by descending score, ties by input index. Kept input indices land in w.kept;
// returns their count.
template <typename T>
int64_t run_nms(NmsWorkspace<T>& w, const T* boxes, const T* scores, const int64_t* labels, int64_t n, double threshold,
                int gather_block) {
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
    w.sorted_labels.resize(n);
    w.order.resize(n);
    sort_pairs_ascending_i64(w.labels_by_score.get(), w.sorted_labels.get(), w.by_score.get(), w.order.get(), n, w.temp);

    w.sorted_boxes.resize(4 * n);
    DWH_LAUNCH_T(T, dwh_gather_rows, dim3(grid_dim(ceil_div(4 * n, kHelperBlock), "nms helper")), dim3(kHelperBlock),
                 boxes, static_cast<const int64_t*>(w.order.get()), n, four, w.sorted_boxes.get());
    w.class_end.resize(n);
    DWH_LAUNCH(dwh_class_end, helper_grid, dim3(kHelperBlock), static_cast<const int64_t*>(w.sorted_labels.get()), n,
               w.class_end.get());

    const int64_t words = ceil_div(n, kNmsTile);
    w.mask.resize(static_cast<size_t>(n * words));  // not cleared: only tiles at or right of the diagonal are written and read
    w.keep.resize(n);
    w.keep.zero();
    DWH_LAUNCH_T(T, dw_nms_mask, dim3(grid_dim(words, "nms mask"), grid_dim(words, "nms mask")), dim3(kNmsTile),
                 static_cast<const T*>(w.sorted_boxes.get()), static_cast<const int64_t*>(w.sorted_labels.get()), n,
                 threshold, w.mask.get());
    DWH_LAUNCH(dw_nms_gather_keep, dim3(1), dim3(block_for("dw_nms_gather_keep", gather_block)), static_cast<const uint64_t*>(w.mask.get()),
               static_cast<const int64_t*>(w.class_end.get()), n, w.keep.get());

    w.grouped.resize(n);
    int64_t k = select_flagged(w.order.get(), w.keep.get(), n, w.grouped.get(), w.count, w.temp);
    if (k == 0) {
        w.kept.resize(0);
        return 0;
    }
    // Descending score, ties by input index: sort the survivors by index, then stably by score.
    w.kept_by_index.resize(k);
    w.kept.resize(k);
    sort_pairs_ascending_i64(w.grouped.get(), w.kept_by_index.get(), w.grouped.get(), w.kept.get(), k, w.temp);
    w.kept_scores.resize(k);
    w.kept_scores_sorted.resize(k);
    DWH_LAUNCH_T(T, dwh_gather_rows, dim3(grid_dim(ceil_div(k, kHelperBlock), "nms helper")), dim3(kHelperBlock), scores,
                 static_cast<const int64_t*>(w.kept_by_index.get()), k, one, w.kept_scores.get());
    sort_pairs_descending(static_cast<const T*>(w.kept_scores.get()), w.kept_scores_sorted.get(),
                          static_cast<const int64_t*>(w.kept_by_index.get()), w.kept.get(), k, w.temp);
    return k;
}

// DwConstants, in the order of the contract's `constants` array.
struct DwConstants {
    double two_sigma_sq = kTwoSigmaSquared, loc_scale = 5.0, pos_sharpness = 5.0, norm_sharpness = 3.0,
           neg_iou_threshold = 0.5, neg_slope = 1.0 / (0.5 * 0.5 - 1.0), eps = 1e-12;
};

template <typename T>
struct DwImage {  // one image's inputs on the device
    DevBuf<T> xy, strides, gt_boxes, cls_logits, obj_logits, distances;
    DevBuf<int64_t> gt_labels;
    int64_t num_points = 0, num_gt = 0, num_classes = 0;
};

template <typename T>
struct DwWorkspace {  // outputs and scratch of one image; grow-only, reused between images and runs
    DevBuf<int32_t> counts, neg_keep;
    DevBuf<int64_t> pair_point, pair_gt, num_good, neg_index, neg_count;
    DevBuf<T> pair_iou, pos_weight, neg_per_pair, max_iou, sum_weight, neg_value, neg_factor;
    std::vector<int32_t> host_counts;
    int64_t n = 0, m = 0;  // inside pairs; written P_neg entries
};

// KernelDwAssigner.assign: count_inside (grid G), read n = Σ counts, collect_pairs (grid G, skipped when n = 0),
// gt_weights (grid G), neg_keep (grid ceil(n / block), skipped when n = 0), neg_compact (grid 1), read m. Nothing is
// launched when G = 0.
template <typename T>
void run_dw(const DwImage<T>& in, const DwConstants& constants, int block, DwWorkspace<T>& w) {
    const int64_t num_points = in.num_points, num_gt = in.num_gt, num_classes = in.num_classes;
    w.counts.resize(num_gt);
    w.counts.zero();
    if (num_gt > 0) {
        DWH_LAUNCH_T(T, dw_count_inside, dim3(grid_dim(num_gt, "count_inside")), dim3(block_for_t<T>("dw_count_inside", block)),
                     static_cast<const T*>(in.xy.get()), num_points, static_cast<const T*>(in.gt_boxes.get()),
                     w.counts.get());
    }
    // First host read: n sizes the pair arrays (Java: counts.sum().item_long()).
    int64_t n = 0;
    if (num_gt > 0) {
        w.host_counts.resize(num_gt);
        copy_to_host(w.host_counts.data(), w.counts.get(), w.counts.bytes());
        for (int32_t c : w.host_counts) n += c;
    }
    w.pair_point.resize(n);
    w.pair_gt.resize(n);
    w.pair_iou.resize(n);
    w.pos_weight.resize(n);
    w.neg_per_pair.resize(n);
    w.max_iou.resize(num_gt);
    w.num_good.resize(num_gt);
    w.sum_weight.resize(num_gt);
    w.neg_index.resize(n);
    w.neg_value.resize(n);
    w.neg_count.resize(1);
    w.neg_count.zero();
    w.neg_factor.resize(1);
    w.neg_factor.zero();
    if (num_gt > 0) {
        const dim3 grid(grid_dim(num_gt, "dw"));
        if (n > 0) {
            DWH_LAUNCH_T(T, dw_collect_pairs, grid, dim3(block_for_t<T>("dw_collect_pairs", block)), static_cast<const T*>(in.xy.get()), num_points,
                         static_cast<const T*>(in.gt_boxes.get()), static_cast<const int32_t*>(w.counts.get()),
                         w.pair_point.get(), w.pair_gt.get());
        }
        // DwConstants pass as the kernel's element type (KernelArgs.real: (float) v for float32).
        const T two_sigma_sq = static_cast<T>(constants.two_sigma_sq), loc_scale = static_cast<T>(constants.loc_scale),
                pos_sharpness = static_cast<T>(constants.pos_sharpness),
                norm_sharpness = static_cast<T>(constants.norm_sharpness),
                neg_iou_threshold = static_cast<T>(constants.neg_iou_threshold),
                neg_slope = static_cast<T>(constants.neg_slope), eps = static_cast<T>(constants.eps);
        DWH_LAUNCH_T(T, dw_gt_weights, grid, dim3(block_for_t<T>("dw_gt_weights", block)), static_cast<const T*>(in.xy.get()),
                     static_cast<const T*>(in.strides.get()), static_cast<const T*>(in.gt_boxes.get()),
                     static_cast<const int64_t*>(in.gt_labels.get()), static_cast<const T*>(in.cls_logits.get()),
                     num_classes, static_cast<const T*>(in.obj_logits.get()), static_cast<const T*>(in.distances.get()),
                     static_cast<const int32_t*>(w.counts.get()), static_cast<const int64_t*>(w.pair_point.get()),
                     two_sigma_sq, loc_scale, pos_sharpness, norm_sharpness, neg_iou_threshold, neg_slope, eps,
                     w.pair_iou.get(), w.pos_weight.get(), w.neg_per_pair.get(), w.max_iou.get(), w.num_good.get(),
                     w.sum_weight.get());
        // keep[k] = 1 unless a later GT of pair k's class also contains its point (the last writer wins).
        w.neg_keep.resize(n);
        if (n > 0) {
            const int keep_block = block_for_t<T>("dw_neg_keep", block);
            DWH_LAUNCH_T(T, dw_neg_keep, dim3(grid_dim(ceil_div(n, keep_block), "neg_keep")), dim3(keep_block),
                         static_cast<const T*>(in.xy.get()), static_cast<const T*>(in.gt_boxes.get()),
                         static_cast<const int64_t*>(in.gt_labels.get()), num_gt,
                         static_cast<const int64_t*>(w.pair_point.get()), static_cast<const int64_t*>(w.pair_gt.get()), n,
                         w.neg_keep.get());
        }
        DWH_LAUNCH_T(T, dw_neg_compact, dim3(1), dim3(block_for_t<T>("dw_neg_compact", block)), static_cast<const int64_t*>(in.gt_labels.get()), num_classes,
                     static_cast<const int64_t*>(w.pair_point.get()), static_cast<const int64_t*>(w.pair_gt.get()),
                     static_cast<const T*>(w.neg_per_pair.get()), static_cast<const int32_t*>(w.neg_keep.get()), n,
                     w.neg_index.get(), w.neg_value.get(), w.neg_count.get(), w.neg_factor.get());
    }
    // Second host read: m, the number of written P_neg entries (Java: negCount.item_long()).
    int64_t m = 0;
    if (num_gt > 0) copy_to_host(&m, w.neg_count.get(), sizeof m);
    w.n = n;
    w.m = m;
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
    DwImage<T> in;
    in.num_points = c.get("xy").dim(0);
    in.num_gt = c.get("gt_boxes").dim(0);
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
    const int64_t n = w.n, m = w.m, g = in.num_gt;
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
    r.exact("inside_count", c.get("expect_inside_count"), w.counts.download(), {g});
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

// GT boxes of a few classes (a fifth are near-copies of an earlier box, same class), distances that are noisy
// versions of the true distances to a containing box, logits ~ N(−2, 1.5²) and objectness ~ N(0, 1).
template <typename T>
void upload_dw_image(Rng& r, int h, int w, int64_t num_gt, int64_t num_classes, const std::vector<T>& xy,
                     const std::vector<T>& strides, DwImage<T>& img) {
    const int64_t p = static_cast<int64_t>(strides.size());
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
    std::vector<T> cls(static_cast<size_t>(p * num_classes)), obj(static_cast<size_t>(p));
    for (auto& v : cls) v = static_cast<T>(-2 + 1.5 * r.normal());
    for (auto& v : obj) v = static_cast<T>(r.normal());
    auto cast = [](const std::vector<double>& v) { return std::vector<T>(v.begin(), v.end()); };
    img.num_points = p;
    img.num_gt = num_gt;
    img.num_classes = num_classes;
    img.xy.upload(xy);
    img.strides.upload(strides);
    img.gt_boxes.upload(cast(boxes));
    img.gt_labels.upload(labels);
    img.cls_logits.upload(cls);
    img.obj_logits.upload(obj);
    img.distances.upload(cast(dist));
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
// bench mode
// ================================================================================================================

struct BenchOptions {
    bool full = kOnGpu;
    int runs = kOnGpu ? 30 : 5;
    int warmup = kOnGpu ? 5 : 1;
    int block = kDefaultBlock;
    uint64_t seed = 1234;
    std::string only = "dw,nms,iou";
};

struct Row {
    std::string name, size;
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

    // (a) fused DW weighting, float32, batch 2 run image after image (as KernelDwAssigner is called per image).
    if (wanted(o, "dw")) {
        const int h = o.full ? 800 : 320, w = o.full ? 1088 : 480;
        const int64_t num_gt = o.full ? 50 : 20, num_classes = 80;
        const int batch = 2;
        std::vector<float> xy, strides;
        fpn_points<float>(h, w, {8, 16, 32, 64, 128}, xy, strides);
        Rng r(o.seed);
        std::vector<DwImage<float>> images(batch);
        for (auto& img : images) upload_dw_image<float>(r, h, w, num_gt, num_classes, xy, strides, img);
        std::vector<DwWorkspace<float>> ws(batch);  // one per image, like the per-image tensors of the Java path
        DwConstants k;
        Row row = timed("dw_weighting f32", "", o, [&] {
            for (int b = 0; b < batch; b++) run_dw<float>(images[b], k, o.block, ws[b]);
        });
        std::snprintf(size, sizeof size, "%dx%d P=%zu G=%" PRId64 " C=%" PRId64 " batch %d", h, w, strides.size(), num_gt,
                      num_classes, batch);
        std::snprintf(note, sizeof note, "n=%" PRId64 "+%" PRId64 " pairs, m=%" PRId64 "+%" PRId64, ws[0].n, ws[1].n, ws[0].m,
                      ws[1].m);
        row.size = size;
        row.note = note;
        rows.push_back(row);
    }

    // (b) NMS including the stable sort, class-aware (80 classes) and class-agnostic (one label).
    if (wanted(o, "nms")) {
        const std::vector<int64_t> sizes = o.full ? std::vector<int64_t>{5000, 30000} : std::vector<int64_t>{1000, 3000};
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
                std::snprintf(note, sizeof note, "kept=%" PRId64 ", incl. sort + keep-index read", kept);
                row.size = size;
                row.note = note;
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
            rows.push_back(row);
        }
    }

    std::printf("\n%-24s %-44s %10s %10s %10s %5s  %s\n", "benchmark", "size", "median ms", "min ms", "max ms", "runs", "notes");
    std::printf("%s\n", std::string(130, '-').c_str());
    for (const Row& row : rows) {
        std::printf("%-24s %-44s %10.3f %10.3f %10.3f %5d  %s\n", row.name.c_str(), row.size.c_str(), row.median, row.min,
                    row.max, row.runs, row.note.c_str());
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
                 "      runs every *.dwcase contract case in DIR (overlaps_*, priors_*, nms_*, dw_*), one line per case;\n"
                 "      exits 1 if any case fails, 2 on usage errors or when DIR holds no cases.\n"
                 "  dw_kernel_harness bench [--scale small|full] [--runs N] [--warmup N] [--block N] [--seed N]\n"
                 "                          [--only dw,nms,iou]\n"
                 "      times the fused DW weighting (batch 2), NMS (with sort) and pairwise IoU on seeded random inputs.\n"
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
                co.block = bo.block = kBlockMax;
            } else {
                co.block = bo.block = parse_int(a, v, 1, 1024);
                if (!power_of_two(co.block)) throw Error("--block must be a power of two in [1, 1024], or max");
            }
        } else if (a == "--gather-block") {
            co.gather_block = parse_int(a, value(), 1, 1024);
        } else if (a == "--filter") {
            filter = value();
        } else if (a == "--scale") {
            std::string s = value();
            if (s != "small" && s != "full") throw Error("--scale takes small or full");
            bo.full = s == "full";
        } else if (a == "--runs") {
            bo.runs = parse_int(a, value(), 1, 100000);
        } else if (a == "--warmup") {
            bo.warmup = parse_int(a, value(), 0, 100000);
        } else if (a == "--seed") {
            bo.seed = static_cast<uint64_t>(parse_int(a, value(), 0, INT_MAX));
        } else if (a == "--only") {
            bo.only = value();
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
