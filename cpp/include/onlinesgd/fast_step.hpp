#pragma once
/// The fused online SGD loop: the same step as step.hpp, but with the inputs drawn block by
/// block (kernel.hpp) and the update of W fused with the next local fields in one pass over W.
///
/// Online steps (batch 1) go in pairs by absolute step number, (2m, 2m + 1): one pass over W
/// applies both updates and draws the next pair's inputs x, x', with W x, W x' and x . x'. The
/// second step's field is then W_{2m+1} x' = W_{2m} x' + coef_{2m} (x . x') (each term summed as
/// documented in kernel.hpp), so W is streamed once per two steps. W itself is updated exactly as
/// one step at a time would (one rounding per update). A run stopped after step 2m (an odd number
/// of steps done) holds W_{2m+1} and carries the second step's fields over to the next call, so
/// a run gives the same bits however it is cut into advance() calls.
/// Minibatch steps take one pass each: step s's update, then step s + 1's draws and fields.
///
/// Threads own contiguous ranges of blocks; the per-block partial sums are added in block
/// order by every thread after one barrier per pass, so every thread computes the same
/// errors, and the results are bit-identical for any thread count.
#include <cstddef>
#include <cstdint>
#include <vector>

#include <Eigen/Dense>

#include "onlinesgd/model/config.hpp"
#include "onlinesgd/model/phase_rule.hpp"
#include "onlinesgd/kernel.hpp"

namespace onlinesgd {

/// Whether cfg's steps run in pairs (online steps, batch 1). Not with Langevin noise: the second
/// step's field would need the first step's noise, drawn in the same pass.
inline bool paired(const ModelConfig& cfg) { return cfg.batch == 1 && cfg.temperature == 0.0; }

/// Threads to use along N for this configuration when up to `available` may run: 1 unless a
/// step has enough work for the barrier per pass (~0.2-1.2 us) to pay off.
int step_threads(const ModelConfig& cfg, int available);

/// Whether `replicas` simulations of cfg should run one per thread (each on one thread) rather
/// than one after another, each threaded along N by step_threads().
bool replicas_in_parallel(const ModelConfig& cfg, std::size_t replicas, int available);

template <class Real>
class FastStepper {
 public:
  /// Sizes the buffers for cfg (outside the step loop).
  void resize(const ModelConfig& cfg);

  /// Runs up to n steps numbered step0, step0 + 1, ... of one phase of the schedule (`phase`: each
  /// sample's task, its rule and head) on the student's first layer W (K rows, leading dimension
  /// ldw) and heads v (heads x K, head h at h K), with teacher rows B (ldb) and v_star (all rows).
  /// `carry`: the raw (unscaled) student fields of step step0 when it is the second step of a
  /// pair, as the previous call left them (if empty, they are computed from W: a valid step, but
  /// not bit for bit the uninterrupted run); on return, those of the next step when it is one,
  /// else empty.
  /// With `frame_L` set (the teacher frame, teacher_frame.hpp), W is stored in that frame, B is
  /// not read (pass null) and the teacher's fields are L x[0:M] of the drawn inputs.
  /// `fixed_feedback`: the feedback vector of feedback alignment, or null for backprop (model/rule.hpp).
  /// `threads` = 0 chooses by step_threads(). Returns the steps done; fewer than n means the
  /// next step's error or a local field exceeded 1e100 in magnitude or was not finite (that step is
  /// not applied; the overlaps, ~ field^2, are then still finite).
  std::uint64_t advance(const ModelConfig& cfg, const model::PhaseRule& phase, Real* W, std::int64_t ldw, const Real* B,
                        std::int64_t ldb, Eigen::VectorXd& v, const Eigen::VectorXd& v_star, std::uint64_t step0,
                        std::uint64_t n, std::vector<double>& carry, int threads = 0,
                        const Eigen::MatrixXd* frame_L = nullptr, const Eigen::VectorXd* fixed_feedback = nullptr);

 private:
  struct ThreadScratch {
    std::vector<double> fields, v, dv;  // v, dv: every head
    std::vector<int> used;              // per head: the samples of this step that used it
    std::vector<Real> coef;
    std::vector<std::uint64_t> keys;
    std::vector<double> labels;
    std::vector<std::uint64_t> noise_keys;                    // K: the rows' weight-noise keys of one block
    std::vector<Real, Eigen::aligned_allocator<Real>> noise;  // 2 kBlock: a pair of rows' noise
    std::uint64_t label_block = ~std::uint64_t(0);
  };

  std::int64_t ldx_ = 0, blocks_ = 0;
  int inputs_ = 0;           // inputs per pass: 2 for a pair of online steps, else the batch
  std::int64_t stride_ = 0;  // partial sums per block
  // inputs_ x ldx inputs of the current and the next pass, on 64-byte boundaries (see the
  // EIGEN_MAX_ALIGN_BYTES note in cpp/CMakeLists.txt)
  std::vector<Real, Eigen::aligned_allocator<Real>> x_[2];
  std::vector<double> partial_[2];  // per block: inputs_ x rows dot products (rows = K, or K + M), then a pair's x . x'
  std::vector<ThreadScratch> scratch_;
};

extern template class FastStepper<double>;
extern template class FastStepper<float>;

}  // namespace onlinesgd
