#pragma once
/// The one place that touches OpenMP; without it everything runs serially.
#include <atomic>
#include <cstdint>
#include <thread>
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

/// The contiguous range [first, last) of `items` that thread `tid` of a team of `team` owns:
/// the one split every team loop uses, so that the thread choice can predict the busiest share.
struct Share {
  std::int64_t first, last;
};
inline Share thread_share(std::int64_t items, int tid, int team) {
  return {items * tid / team, items * (tid + 1) / team};
}

/// Runs f(thread, threads) on a team of up to n threads (fewer when OpenMP gives fewer, e.g.
/// inside another parallel region; f must then cope, see FastStepper::advance).
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

}  // namespace onlinesgd

namespace onlinesgd {

/// Sense-reversing barrier for a team of n threads, spinning on one cache line: about 0.2 us
/// per step where an OpenMP barrier costs 1-2 us (PERFORMANCE.md), which matters at N ~ 1e4.
/// After a short spin it yields the CPU, so an oversubscribed machine (a waiting partner that
/// was descheduled) costs a reschedule, not a full time slice of busy waiting.
/// Writes before wait() are visible to every thread after it (acquire/release).
class SpinBarrier {
 public:
  explicit SpinBarrier(int n) : n_(n) {}

  /// `sense` is the calling thread's own flag, false before its first wait.
  void wait(bool& sense) {
    sense = !sense;
    if (count_.fetch_add(1, std::memory_order_acq_rel) == n_ - 1) {
      count_.store(0, std::memory_order_relaxed);
      flag_.store(sense, std::memory_order_release);
      return;
    }
    for (int spins = 0; flag_.load(std::memory_order_acquire) != sense; ++spins) {
      if (spins < 256) {  // ~10-40 us: far longer than a normal wait, short against a time slice
#if defined(__x86_64__) || defined(__i386__)
        __builtin_ia32_pause();
#endif
      } else {
        std::this_thread::yield();
      }
    }
  }

 private:
  alignas(64) std::atomic<int> count_{0};
  alignas(64) std::atomic<bool> flag_{false};
  int n_;
};

}  // namespace onlinesgd
