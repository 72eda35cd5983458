#include "onlinesgd/fast_step.hpp"

#include <algorithm>
#include <type_traits>
#include <cmath>

#include "onlinesgd/model/rule.hpp"
#include "onlinesgd/parallel.hpp"
#include "onlinesgd/rng.hpp"
#include "onlinesgd/teacher_frame.hpp"

namespace onlinesgd {
namespace {

/// Rows a step streams per sample: the student's, and the teacher's unless the frame gives its fields.
int streamed_rows(const ModelConfig& cfg) { return cfg.K + (uses_teacher_frame(cfg) ? 0 : cfg.teacher_rows()); }

/// Rough one-thread time of a step over `columns` input columns in ns (bench/README.md): the
/// family's draw (inputs.cpp); a streamed row 0.2 ns per column in
/// double, 0.1 in float, half that per step when a pass serves a pair of steps.
double step_ns(const ModelConfig& cfg, std::int64_t columns) {
  const bool f = cfg.precision == Precision::Float32;
  const InputTraits& in = input_traits(cfg.inputs);
  const double draw = f ? in.draw_ns_float : in.draw_ns_double;
  const double row = (f ? 0.1 : 0.2) / (paired(cfg) ? 2 : 1);
  return static_cast<double>(columns) * cfg.batch * (draw + streamed_rows(cfg) * row);
}
}  // namespace

int step_threads(const ModelConfig& cfg, int available) {
  // More threads pay off when the largest share of blocks plus the barrier and reduction per
  // pass (~0.6 us: measured ~1.2 us on a 2-vCPU Intel Xeon, ~0.2 us on a 2-vCPU AMD Zen 4)
  // beats one thread doing all. Measured crossovers at K = M = 2, one step per pass: Zen 4
  // N ~ 1300 (float64) and ~1100 (float32); Intel N ~ 2000 and ~3000. With a pass per pair of
  // steps (half the barriers), two threads ran 1.2x faster from two blocks on (N = 1300) on
  // Zen 4; this rule picks two threads from N ~ 1330 (float64) and ~1570 (float32).
  const double kSyncNs = paired(cfg) ? 300.0 : 600.0;
  const std::int64_t blocks = (cfg.N + kernel::kBlock - 1) / kernel::kBlock;
  int best = 1;
  double best_ns = step_ns(cfg, cfg.N);
  for (int t = 2; t <= available && t <= blocks; ++t) {
    std::int64_t share = 0;  // columns of the busiest thread
    for (int tid = 0; tid < t; ++tid) {
      const Share b = thread_share(blocks, tid, t);
      share = std::max(share, std::min<std::int64_t>(cfg.N, b.last * kernel::kBlock) - b.first * kernel::kBlock);
    }
    const double ns = step_ns(cfg, share) + kSyncNs;
    if (ns < best_ns) best = t, best_ns = ns;
  }
  return best;
}

bool replicas_in_parallel(const ModelConfig& cfg, std::size_t replicas, int available) {
  // One replica per thread (no barrier at all) beats threading each along N while a replica's
  // streamed bytes (its rows and its two input buffers, of two inputs each for paired online
  // steps) fit in a core's L2 with room to spare. Measured on 2 cores (Zen 4), K = M = 2, paired
  // steps, replica-steps/s one per thread against along N: N = 1e4 1.04x (float64) and 1.08x
  // (float32), N = 3e4 float32 1.02x; N = 3e4 float64 (1.44 MB) 0.61x.
  const int inputs = paired(cfg) ? 2 : cfg.batch;
  const double bytes = static_cast<double>(cfg.N) * (streamed_rows(cfg) + 2 * inputs) *
                       (cfg.precision == Precision::Float32 ? 4.0 : 8.0);
  return replicas > 1 && available > 1 && bytes < 1024.0 * 1024.0;
}

template <class Real>
void FastStepper<Real>::resize(const ModelConfig& cfg) {
  blocks_ = (cfg.N + kernel::kBlock - 1) / kernel::kBlock;
  ldx_ = (cfg.N + 15) / 16 * 16;  // rows start on 64-byte multiples of the buffer
  inputs_ = paired(cfg) ? 2 : cfg.batch;
  // per block: the dot products of every streamed row (at most K + all teacher rows) with each input,
  // and a pair's x . x'
  stride_ = inputs_ * (cfg.K + cfg.teacher_rows()) + (paired(cfg) ? 1 : 0);
  for (auto& x : x_) x.assign(static_cast<std::size_t>(ldx_ * inputs_), Real(0));
  for (auto& p : partial_) p.assign(static_cast<std::size_t>(blocks_ * stride_), 0.0);
}

template <class Real>
std::uint64_t FastStepper<Real>::advance(const ModelConfig& cfg, const model::PhaseRule& phase, Real* W,
                                         std::int64_t ldw, const Real* B, std::int64_t ldb, Eigen::VectorXd& v,
                                         const Eigen::VectorXd& v_star, std::uint64_t step0, std::uint64_t n,
                                         std::vector<double>& carry, int threads, const Eigen::MatrixXd* frame_L,
                                         const Eigen::VectorXd* fixed_feedback) {
  const bool pairs = paired(cfg);
  if (n == 0) return 0;
  const model::Rule& rule = phase.shared();
  const bool noisy = rule.noise_w() != 0.0;
  // The carried fields belong to step step0 only if it is the second step of a pair.
  std::vector<double> carry_in;
  if (pairs && (step0 & 1) && carry.size() == std::size_t(cfg.K)) carry_in.swap(carry);
  carry.clear();
  if (blocks_ != (cfg.N + kernel::kBlock - 1) / kernel::kBlock || inputs_ != (pairs ? 2 : cfg.batch) ||
      x_[0].size() != std::size_t(ldx_ * inputs_))
    resize(cfg);
  const int K = cfg.K, M = cfg.teacher_rows(), P = K + M, batch = cfg.batch, H = cfg.heads();
  // Rows the kernel streams: the student's, plus the teacher's unless the frame gives its fields.
  const int Mk = frame_L ? 0 : M, Pk = K + Mk;
  const int T = threads > 0 ? threads : step_threads(cfg, max_threads());
  // Scratch is sized here, once per call, never inside the step loop.
  if (scratch_.size() < std::size_t(T)) scratch_.resize(T);
  for (auto& s : scratch_) {
    s.fields.resize(inputs_ * P);
    s.v.resize(H * K);
    s.dv.resize(H * K);
    s.used.assign(H, 0);
    s.coef.resize(inputs_ * K);
    s.keys.resize(inputs_);
    s.labels.resize(kernel::kBlock);
    if (noisy) {
      s.noise_keys.resize(K);
      s.noise.resize(2 * kernel::kBlock);
    }
  }
  const kernel::Table& kt = kernel::active();
  auto* block_fn = [&] {
    if constexpr (std::is_same_v<Real, double>)
      return kt.block_d;
    else
      return kt.block_f;
  }();
  const double* feedback = fixed_feedback ? fixed_feedback->data() : nullptr;
  const bool label_noise = cfg.any_label_noise();
  // Per update of a pass, the factor W takes before it: each step's first update decays W (a pair
  // holds two steps, a minibatch step one); none at all without decay or noise (model/rule.hpp).
  std::vector<Real> decay(inputs_, Real(1));
  for (int u = 0; u < inputs_; u += pairs ? 1 : inputs_) decay[u] = static_cast<Real>(rule.decay_w());
  const Real* decay_of_pass = rule.decay_w() != 1.0 || noisy ? decay.data() : nullptr;
  const Real noise_std = static_cast<Real>(rule.noise_w());
  const std::uint64_t ub = static_cast<std::uint64_t>(batch);
  std::uint64_t done = n;
  std::vector<double> carry_out;
  SpinBarrier barrier(T);

  auto body = [&](int tid, int team) {
    bool sense = false;
    ThreadScratch& s = scratch_[tid];
    for (int k = 0; k < H * K; ++k) s.v[k] = v(k);
    const Share mine = thread_share(blocks_, tid, team);
    const std::int64_t b0 = mine.first, b1 = mine.last;  // this thread's blocks

    // One pass over this thread's blocks: apply `updates` updates (s.coef, inputs x_[cur]), then
    // draw `draws` inputs, samples first, first + 1, ..., into x_[cur ^ 1] and their block dot
    // products (and a pair's cross product) into partial_[cur ^ 1].
    // With Langevin noise (never paired) the update is step `step`'s, whose noise it draws.
    auto pass = [&](int updates, int cur, int draws, std::uint64_t first, std::uint64_t step = 0) {
      kernel::BlockArgs<Real> a{};
      a.K = K;
      a.M = Mk;
      a.ldw = ldw;
      a.ldb = ldb;
      a.ldx = ldx_;
      a.updates = updates;
      a.coef = s.coef.data();
      a.draws = draws;
      a.keys = s.keys.data();
      a.inputs = cfg.inputs;
      if (updates > 0) {
        a.decay = decay_of_pass;
        a.noise_std = noise_std;
        a.noise_keys = s.noise_keys.data();
        a.noise_buf = s.noise.data();
      }
      for (std::int64_t blk = b0; blk < b1; ++blk) {
        const std::int64_t c0 = blk * kernel::kBlock;
        a.count = static_cast<int>(std::min<std::int64_t>(kernel::kBlock, cfg.N - c0));
        a.W = W + c0;
        a.B = frame_L ? nullptr : B + c0;
        a.x_cur = x_[cur].data() + c0;
        a.x_next = x_[cur ^ 1].data() + c0;
        a.partial = partial_[cur ^ 1].data() + blk * stride_;
        a.cross = pairs && draws == 2 ? a.partial + 2 * Pk : nullptr;
        for (int d = 0; d < draws; ++d)
          s.keys[d] = rng::block_key(cfg.seed, rng::Stream::Inputs, first + d, static_cast<std::uint64_t>(blk));
        if (noisy && updates > 0)
          for (int k = 0; k < K; ++k) s.noise_keys[k] = rng::weight_noise_key(cfg.seed, step, k, blk);
        block_fn(a);
      }
    };

    // Raw local fields (not yet scaled by 1/sqrt(N)) of the `draws` inputs in x_[cur]: block
    // partials added in block order (the same in every thread), the teacher's from the frame.
    // Returns a pair's cross product x . x'.
    auto gather = [&](int cur, int draws) {
      if (team > 1) barrier.wait(sense);
      std::fill(s.fields.begin(), s.fields.end(), 0.0);
      double cross = 0.0;
      const double* part = partial_[cur].data();
      for (std::int64_t blk = 0; blk < blocks_; ++blk) {
        const double* pb = part + blk * stride_;
        for (int d = 0; d < draws; ++d)
          for (int r = 0; r < Pk; ++r) s.fields[d * P + r] += pb[d * Pk + r];
        if (pairs && draws == 2) cross += pb[2 * Pk];
      }
      if (frame_L)  // teacher fields from the first M inputs of each sample (L lower triangular)
        for (int d = 0; d < draws; ++d) {
          const Real* x = x_[cur].data() + d * ldx_;
          for (int m = 0; m < M; ++m) {
            double nu = 0.0;
            for (int j = 0; j <= m; ++j) nu += (*frame_L)(m, j) * static_cast<double>(x[j]);
            s.fields[d * P + K + m] = nu;
          }
        }
      return cross;
    };

    // Sample `sample`'s update from its raw fields f (scaled here, in place): coef (K values) and
    // its part of its head's change in s.dv (model/rule.hpp, the rule of its task in this phase).
    // False when it diverged.
    auto coefficients = [&](double* f, std::uint64_t sample, Real* coef) {
      for (int j = 0; j < P; ++j) f[j] *= rule.inv_sqrt_n();
      double zeta = 0.0;
      if (label_noise) {
        if (sample / kernel::kBlock != s.label_block) {
          s.label_block = sample / kernel::kBlock;
          rng::normal_block(cfg.seed, rng::Stream::Labels, s.label_block, 0, s.labels.data(), kernel::kBlock);
        }
        zeta = s.labels[sample % kernel::kBlock];
      }
      const int task = phase.task(sample), h = phase.head(task);
      ++s.used[h];
      return phase.rule(task).sample(f, zeta, s.v.data() + h * K, v_star.data(), feedback, coef, s.dv.data() + h * K);
    };
    // The heads after a step of `samples` samples: each used head decays by its share of them.
    auto apply_dv = [&](int samples) {
      for (int h = 0; h < H; ++h) {
        if (s.used[h] == 0) continue;
        const double share = s.used[h] == samples ? 1.0 : static_cast<double>(s.used[h]) / samples;
        rule.apply_head(s.v.data() + h * K, s.dv.data() + h * K, share);
        std::fill(s.dv.begin() + h * K, s.dv.begin() + (h + 1) * K, 0.0);
        s.used[h] = 0;
      }
    };
    std::fill(s.dv.begin(), s.dv.end(), 0.0);

    if (!pairs) {                     // minibatches: one pass per step
      pass(0, 1, batch, step0 * ub);  // inputs of step0 into x_[0] (cur = 1 writes x_[0])
      for (std::uint64_t i = 0; i < n; ++i) {
        const int cur = static_cast<int>(i & 1);
        gather(cur, batch);
        bool ok = true;
        for (int b = 0; b < batch && ok; ++b)
          ok = coefficients(s.fields.data() + b * P, (step0 + i) * ub + b, s.coef.data() + b * K);
        if (!ok) {
          if (tid == 0) done = i;
          break;
        }
        pass(batch, cur, i + 1 < n ? batch : 0, (step0 + i + 1) * ub, step0 + i);
        apply_dv(batch);
      }
    } else {  // online steps in pairs (2m, 2m + 1): one pass applies both and draws the next two
      const std::uint64_t end = step0 + n;
      std::uint64_t step = step0;
      int cur = 0;
      double* f0 = s.fields.data();
      double* f1 = s.fields.data() + P;
      Real* coef0 = s.coef.data();
      bool go = true;
      if (step & 1) {  // starts on a pair's second step: alone, with the carried fields if any
        pass(0, 1, 1, step);
        gather(0, 1);
        if (!carry_in.empty()) std::copy(carry_in.begin(), carry_in.end(), f0);
        go = coefficients(f0, step, coef0);
        if (!go && tid == 0) done = 0;
        if (go) {
          pass(1, 0, step + 1 < end ? 2 : 0, step + 1);
          apply_dv(1);
          ++step;
          cur = 1;
        }
      } else {
        pass(0, 1, 2, step);  // inputs of the pair into x_[0]
      }
      while (go && step < end) {
        // x_[cur] holds inputs `step` (even) and step + 1, partial_[cur] their sums with W_step.
        const double cross = gather(cur, 2);
        if (!coefficients(f0, step, coef0)) {
          if (tid == 0) done = step - step0;
          break;
        }
        apply_dv(1);
        // W_{step+1} x' = decay W_step x' + coef (x . x'): the second field without another pass over W
        if (decay_of_pass)
          for (int k = 0; k < K; ++k) f1[k] *= static_cast<double>(decay[0]);
        for (int k = 0; k < K; ++k) f1[k] += static_cast<double>(coef0[k]) * cross;
        if (step + 1 == end) {  // stop between the two: W_{step+1}, and the field carried over
          if (tid == 0) carry_out.assign(f1, f1 + K);
          pass(1, cur, 0, 0);
          break;
        }
        if (!coefficients(f1, step + 1, s.coef.data() + K)) {
          if (tid == 0) done = step + 1 - step0;
          pass(1, cur, 0, 0);
          break;
        }
        apply_dv(1);
        pass(2, cur, step + 2 < end ? 2 : 0, step + 2);
        cur ^= 1;
        step += 2;
      }
    }
    if (tid == 0)
      for (int k = 0; k < H * K; ++k) v(k) = s.v[k];
  };
  parallel_team(T, [&](int tid, int team) {
    if (team == T) return body(tid, team);
    if (tid == 0) body(0, 1);  // OpenMP gave fewer threads than asked (nested region): run serially
  });
  carry = std::move(carry_out);
  return done;
}

template class FastStepper<double>;
template class FastStepper<float>;

}  // namespace onlinesgd
