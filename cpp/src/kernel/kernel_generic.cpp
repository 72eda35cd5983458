// Baseline target: whatever the compiler's default instruction set is. Always compiled.
#define ONLINESGD_KERNEL_NS generic
#define ONLINESGD_KERNEL_NAME "generic"
#include "kernel_body.hpp"

namespace onlinesgd::kernel {
const Table* table_generic() { return &generic::kTable; }
}  // namespace onlinesgd::kernel
