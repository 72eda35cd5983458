// AVX-512 target (x86-64-v4: F, BW, CD, DQ, VL) with 512-bit vectors. CMake compiles this file
// with -march=x86-64-v4 and defines ONLINESGD_KERNEL_V4 only when the compiler accepts it.
#include "onlinesgd/kernel.hpp"

#ifdef ONLINESGD_KERNEL_V4
#define ONLINESGD_KERNEL_NS x86_64_v4
#define ONLINESGD_KERNEL_NAME "x86-64-v4"
#define ONLINESGD_KERNEL_VEC 64
#include "kernel_body.hpp"
#endif

namespace onlinesgd::kernel {
#ifdef ONLINESGD_KERNEL_V4
const Table* table_x86_64_v4() { return &x86_64_v4::kTable; }
#else
const Table* table_x86_64_v4() { return nullptr; }
#endif
}  // namespace onlinesgd::kernel
