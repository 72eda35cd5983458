// AVX2 + FMA target (x86-64-v3). CMake compiles this file with -march=x86-64-v3 and defines
// ONLINESGD_KERNEL_V3 only when the compiler accepts that flag; otherwise the table is absent.
#include "onlinesgd/kernel.hpp"

#ifdef ONLINESGD_KERNEL_V3
#define ONLINESGD_KERNEL_NS x86_64_v3
#define ONLINESGD_KERNEL_NAME "x86-64-v3"
#include "kernel_body.hpp"
#endif

namespace onlinesgd::kernel {
#ifdef ONLINESGD_KERNEL_V3
const Table* table_x86_64_v3() { return &x86_64_v3::kTable; }
#else
const Table* table_x86_64_v3() { return nullptr; }
#endif
}  // namespace onlinesgd::kernel
