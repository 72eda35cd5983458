#pragma once
/// The one place that touches OpenMP; without it everything runs serially.
#include <cstdint>
#ifdef _OPENMP
#include <omp.h>
#endif

namespace onlinesgd {

inline int max_threads() {
#ifdef _OPENMP
  return omp_get_max_threads();
#else
  return 1;
#endif
}

inline void set_max_threads(int n) {
#ifdef _OPENMP
  omp_set_num_threads(n);
#else
  (void)n;
#endif
}

/// Runs f(i) for i in [0, n). Work items must write disjoint memory and must not depend on
/// which thread runs them, so results are identical for any thread count.
template <class F>
inline void parallel_for(std::int64_t n, bool parallel, F&& f) {
#ifdef _OPENMP
#pragma omp parallel for schedule(static) if (parallel && n > 1)
  for (std::int64_t i = 0; i < n; ++i) f(i);
#else
  (void)parallel;
  for (std::int64_t i = 0; i < n; ++i) f(i);
#endif
}

}  // namespace onlinesgd
