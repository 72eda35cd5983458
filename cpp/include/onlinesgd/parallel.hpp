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

namespace onlinesgd {

/// Runs f(thread, threads) on a team of up to n threads (fewer when OpenMP gives fewer, e.g.
/// inside another parallel region). f may call team_barrier(); all threads must reach it
/// the same number of times.
template <class F>
inline void parallel_team(int n, F&& f) {
#ifdef _OPENMP
  if (n > 1) {
#pragma omp parallel num_threads(n)
    f(omp_get_thread_num(), omp_get_num_threads());
    return;
  }
#endif
  (void)n;
  f(0, 1);
}

/// Barrier of a team of `team` threads started by parallel_team. A team of one skips it:
/// the serial path may itself run inside another parallel region (one replica per thread),
/// where an OpenMP barrier would bind to, and stall on, that outer team.
inline void team_barrier(int team) {
#ifdef _OPENMP
  if (team > 1) {
#pragma omp barrier
  }
#else
  (void)team;
#endif
}

}  // namespace onlinesgd
