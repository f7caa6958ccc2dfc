// Host grid emulator: runs a kernel written for CUDA on the CPU, every thread of every block.
//
// Kernels without __syncthreads() run thread after thread. Kernels that synchronise run each block's threads as
// fibers (ucontext): a thread runs until it reaches __syncthreads(), then the next thread runs, and the block moves
// past the barrier only when every thread has arrived. Local variables live on each fiber's own stack, so they
// survive barriers as registers do on a GPU, and shared memory (DW_SHARED) is one copy per block.
//
// Kernels are found by name with the parameter signature checked, so a Java-side launch that passes the wrong
// argument kinds fails with a message instead of reading garbage.
#pragma once

#include "dw_compat.cuh"

#include <ucontext.h>

#include <cstddef>
#include <map>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

namespace dw_emu {

struct EmulationError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

// One character per kernel parameter: i int32, l int64, f float32, d float64 by value; a pointer is its element's
// code in upper case (F float32*, D float64*, I int32*, L int64* or uint64*, B uint8*), so a launch whose tensors
// have the wrong element type is refused as surely as one with the wrong number of arguments.
template <typename T>
constexpr char param_code() {
    if constexpr (std::is_pointer_v<T>) {
        using E = std::remove_cv_t<std::remove_pointer_t<T>>;
        if constexpr (std::is_same_v<E, float>) return 'F';
        else if constexpr (std::is_same_v<E, double>) return 'D';
        else if constexpr (std::is_same_v<E, int32_t>) return 'I';
        else if constexpr (std::is_same_v<E, int64_t> || std::is_same_v<E, uint64_t>) return 'L';
        else if constexpr (std::is_same_v<E, uint8_t>) return 'B';
        else static_assert(sizeof(T) == 0, "unsupported kernel pointer parameter type");
    } else if constexpr (std::is_same_v<T, int32_t>) return 'i';
    else if constexpr (std::is_same_v<T, int64_t>) return 'l';
    else if constexpr (std::is_same_v<T, float>) return 'f';
    else if constexpr (std::is_same_v<T, double>) return 'd';
    else static_assert(sizeof(T) == 0, "unsupported kernel parameter type");
}

using Trampoline = void (*)(void** params);

struct Kernel {
    std::string signature;
    Trampoline call;
    bool synchronises;  // uses __syncthreads(): run as fibers
    int max_threads;    // its launch bound (dw_kernel_list.h): larger blocks are refused, as the driver would
};

inline std::map<std::string, Kernel>& registry() {
    static std::map<std::string, Kernel> kernels;
    return kernels;
}

// Unpacks cuLaunchKernel-style parameters (an array of pointers to the values) into a typed call.
template <typename F, F Fn>
struct Invoker;
template <typename... A, void (*Fn)(A...)>
struct Invoker<void (*)(A...), Fn> {
    static void call(void** params) { call(params, std::index_sequence_for<A...>{}); }
    template <std::size_t... I>
    static void call(void** params, std::index_sequence<I...>) {
        Fn(*static_cast<std::remove_reference_t<A>*>(params[I])...);
    }
    static std::string signature() { return std::string{param_code<A>()...}; }
};

#define DW_REGISTER_KERNEL(fn, synchronises, max_threads)                                              \
    (::dw_emu::registry()[#fn] = ::dw_emu::Kernel{::dw_emu::Invoker<decltype(&fn), &fn>::signature(),   \
                                                  &::dw_emu::Invoker<decltype(&fn), &fn>::call, synchronises, \
                                                  max_threads})

// ---- fibers ------------------------------------------------------------------------------------------------

struct Fiber {
    ucontext_t context;
    std::vector<char> stack;
    uint3 thread;
    bool finished;
};

struct BlockRun {
    ucontext_t scheduler;
    Fiber* running = nullptr;
    Trampoline call = nullptr;
    void** params = nullptr;
    bool fibers = false;       // true while a synchronising kernel runs
    std::vector<Fiber> pool;   // reused between blocks and launches
};
inline thread_local BlockRun block_run;

inline void fiber_main() {
    block_run.call(block_run.params);
    block_run.running->finished = true;
    // Returning resumes uc_link, the scheduler.
}

inline void syncthreads() {
    if (!block_run.fibers) {
        // Reached only when a kernel registered as barrier-free synchronises: a registration bug.
        throw EmulationError("__syncthreads() in a kernel registered without barriers");
    }
    swapcontext(&block_run.running->context, &block_run.scheduler);
}

constexpr std::size_t kFiberStackBytes = 64 * 1024;

inline std::string coords(uint3 b, uint3 t) {
    return "block (" + std::to_string(b.x) + "," + std::to_string(b.y) + "," + std::to_string(b.z) + ") thread (" +
           std::to_string(t.x) + "," + std::to_string(t.y) + "," + std::to_string(t.z) + ")";
}

inline void run_block_as_fibers(const Kernel& k, void** params, uint3 block, dim3 block_dim) {
    std::size_t n = static_cast<std::size_t>(block_dim.x) * block_dim.y * block_dim.z;
    if (block_run.pool.size() < n) block_run.pool.resize(n);
    block_run.call = k.call;
    block_run.params = params;
    for (std::size_t t = 0; t < n; t++) {
        Fiber& f = block_run.pool[t];
        if (f.stack.empty()) f.stack.resize(kFiberStackBytes);
        f.thread = uint3{static_cast<unsigned>(t % block_dim.x), static_cast<unsigned>((t / block_dim.x) % block_dim.y),
                         static_cast<unsigned>(t / (static_cast<std::size_t>(block_dim.x) * block_dim.y))};
        f.finished = false;
        getcontext(&f.context);
        f.context.uc_stack.ss_sp = f.stack.data();
        f.context.uc_stack.ss_size = f.stack.size();
        f.context.uc_link = &block_run.scheduler;
        makecontext(&f.context, fiber_main, 0);
    }
    std::size_t live = n;
    while (live > 0) {
        std::size_t finished_now = 0, waiting = 0;
        const Fiber* first_finished = nullptr;
        for (std::size_t t = 0; t < n; t++) {
            Fiber& f = block_run.pool[t];
            if (f.finished) continue;
            current.thread = f.thread;
            block_run.running = &f;
            swapcontext(&block_run.scheduler, &f.context);
            if (f.finished) {
                finished_now++;
                if (!first_finished) first_finished = &f;
            } else {
                waiting++;
            }
        }
        if (finished_now > 0 && waiting > 0) {
            // On a GPU this is undefined behaviour (a barrier not reached by every thread); fail loudly here.
            throw EmulationError("divergent __syncthreads(): " + coords(block, first_finished->thread) +
                                 " returned while other threads of the block wait at a barrier");
        }
        live -= finished_now;
    }
}

// Runs one launch to completion. Throws EmulationError for unknown kernels, signature mismatches and
// divergent barriers.
inline void launch(const std::string& name, const std::string& signature, dim3 grid, dim3 block, void** params) {
    auto it = registry().find(name);
    if (it == registry().end()) throw EmulationError("no kernel named " + name);
    const Kernel& k = it->second;
    if (grid.x == 0 || grid.y == 0 || grid.z == 0 || block.x == 0 || block.y == 0 || block.z == 0) {
        throw EmulationError("kernel " + name + ": empty grid or block");
    }
    if (static_cast<std::size_t>(block.x) * block.y * block.z > 1024) {
        throw EmulationError("kernel " + name + ": more than 1024 threads per block");
    }
    if (static_cast<std::size_t>(block.x) * block.y * block.z > static_cast<std::size_t>(k.max_threads)) {
        throw EmulationError("kernel " + name + ": " + std::to_string(block.x * block.y * block.z) +
                             " threads per block exceed its launch bound of " + std::to_string(k.max_threads));
    }
    if (k.signature != signature) {
        throw EmulationError("kernel " + name + " takes parameters (" + k.signature + ") but the launch passed (" +
                             signature + ")");
    }
    current.grid_dim = grid;
    current.block_dim = block;
    block_run.fibers = k.synchronises;
    for (unsigned bz = 0; bz < grid.z; bz++)
        for (unsigned by = 0; by < grid.y; by++)
            for (unsigned bx = 0; bx < grid.x; bx++) {
                current.block = uint3{bx, by, bz};
                if (k.synchronises) {
                    run_block_as_fibers(k, params, current.block, block);
                    continue;
                }
                for (unsigned tz = 0; tz < block.z; tz++)
                    for (unsigned ty = 0; ty < block.y; ty++)
                        for (unsigned tx = 0; tx < block.x; tx++) {
                            current.thread = uint3{tx, ty, tz};
                            k.call(params);
                        }
            }
    block_run.fibers = false;
}

}  // namespace dw_emu
