// Chooses the kernel table once, from the CPU's features (best supported target wins).
#include <atomic>
#include <cstring>

#include "onlinesgd/kernel.hpp"

namespace onlinesgd::kernel {
namespace {

struct Target {
  const char* name;
  const Table* (*table)();
};

// Best last.
constexpr Target kTargets[] = {
    {"generic", table_generic}, {"x86-64-v3", table_x86_64_v3}, {"x86-64-v4", table_x86_64_v4}};

bool cpu_has(const char* name) {
  if (std::strcmp(name, "generic") == 0) return true;
#if (defined(__x86_64__) || defined(_M_X64)) && (defined(__GNUC__) || defined(__clang__))
  __builtin_cpu_init();
  const bool v3 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && __builtin_cpu_supports("bmi2") &&
                  __builtin_cpu_supports("avx");
  if (std::strcmp(name, "x86-64-v3") == 0) return v3;
  if (std::strcmp(name, "x86-64-v4") == 0)
    return v3 && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
           __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl") &&
           __builtin_cpu_supports("avx512cd");
#endif
  return false;
}

const Table* best() {
  const Table* chosen = table_generic();
  for (const Target& t : kTargets)
    if (t.table() && cpu_has(t.name)) chosen = t.table();
  return chosen;
}

std::atomic<const Table*>& current() {
  static std::atomic<const Table*> table{best()};
  return table;
}

}  // namespace

const Table& active() { return *current().load(std::memory_order_relaxed); }

const char* const* compiled(int* count) {
  static const char* names[3];
  static int n = [] {
    int k = 0;
    for (const Target& t : kTargets)
      if (t.table()) names[k++] = t.name;
    return k;
  }();
  *count = n;
  return names;
}

bool supported(const char* name) {
  for (const Target& t : kTargets)
    if (std::strcmp(t.name, name) == 0) return t.table() && cpu_has(name);
  return false;
}

bool select(const char* name) {
  for (const Target& t : kTargets)
    if (std::strcmp(t.name, name) == 0 && t.table() && cpu_has(name)) {
      current().store(t.table(), std::memory_order_relaxed);
      return true;
    }
  return false;
}

}  // namespace onlinesgd::kernel
