// Simulator::advance_rows: online SGD on given input rows (the user's data, a Gaussian mixture's
// samples). Online steps (batch 1, no Langevin noise) run a fused loop on the stored weights:
// one pass over W per step applies the step's update and takes the next row's fields, the way
// the kernel does for drawn inputs (fast_step.hpp). Minibatches and Langevin noise take the
// reference step (step.hpp) on copies of the weights.
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <vector>

#include "onlinesgd/model/phase_rule.hpp"
#include "onlinesgd/model/schedule.hpp"
#include "onlinesgd/rng.hpp"
#include "onlinesgd/simulator.hpp"

namespace onlinesgd {
namespace {

constexpr int kLanes = 8;  // fixed accumulation lanes: the same sums however a run is cut

/// Sum of the kLanes lane sums in a fixed tree.
inline double reduce(const double* acc) {
  return ((acc[0] + acc[4]) + (acc[2] + acc[6])) + ((acc[1] + acc[5]) + (acc[3] + acc[7]));
}

/// Fields (raw, unscaled) of the rows `rows` (count rows, leading dimension ld) with x: lane l
/// sums the columns j = l mod kLanes in order, as the fused pass below does.
template <class Real>
void row_fields(const Real* rows, std::int64_t ld, int count, const double* x, std::int64_t N, double* out) {
  for (int r = 0; r < count; ++r) {
    double acc[kLanes] = {};
    const Real* w = rows + r * ld;
    std::int64_t j = 0;
    for (; j + kLanes <= N; j += kLanes)
      for (int l = 0; l < kLanes; ++l) acc[l] += static_cast<double>(w[j + l]) * x[j + l];
    for (; j < N; ++j) acc[j % kLanes] += static_cast<double>(w[j]) * x[j];
    out[r] = reduce(acc);
  }
}

/// Online steps on rows: the weights W (K rows) and teacher B (M rows, read only without
/// labels) as stored, heads v, from step `steps` (advanced in place). Returns the steps done; fewer
/// than n: the next one diverged.
template <class Real, class In>
std::uint64_t online_rows(const ModelConfig& cfg, Real* W, const Real* B, std::int64_t ldw, double* v,
                          const double* v_star, const double* feedback, std::uint64_t& steps, const In* X,
                          std::int64_t ld, std::uint64_t n, const double* labels) {
  const int K = cfg.K, M = labels ? 0 : cfg.teacher_rows();
  const std::int64_t N = cfg.N;
  std::vector<double> x(N), next(N), fields(K + cfg.teacher_rows()), dv(K * cfg.heads());
  std::vector<double> noise(rng::kBlock);
  std::uint64_t noise_block = ~std::uint64_t(0);
  std::vector<Real> coef(K);
  const bool label_noise = !labels && cfg.any_label_noise();
  auto load = [&](std::uint64_t i, std::vector<double>& into) {
    for (std::int64_t j = 0; j < N; ++j) into[j] = static_cast<double>(X[static_cast<std::int64_t>(i) * ld + j]);
  };
  load(0, x);
  row_fields(W, ldw, K, x.data(), N, fields.data());
  row_fields(B, ldw, M, x.data(), N, fields.data() + K);
  std::optional<model::PhaseRule> phase;
  int phase_index = -1;
  for (std::uint64_t i = 0; i < n; ++i) {
    const int s = model::phase_at_step(cfg, steps);
    if (s != phase_index) phase.emplace(cfg, phase_index = s);
    const model::Rule& rule = phase->shared();
    for (double& f : fields) f *= rule.inv_sqrt_n();
    double zeta = 0.0;
    if (label_noise) {  // zeta_s as the weights engine reads it (rng.hpp, Labels)
      if (steps / rng::kBlock != noise_block) {
        noise_block = steps / rng::kBlock;
        rng::normal_block(cfg.seed, rng::Stream::Labels, noise_block, 0, noise.data(), rng::kBlock);
      }
      zeta = noise[steps % rng::kBlock];
    }
    const int task = phase->task(steps), h = phase->head(task);
    double* head = v + h * K;
    std::fill(dv.begin(), dv.end(), 0.0);
    const bool ok =
        labels
            ? phase->rule(task).sample_label(fields.data(), labels[i], head, feedback, coef.data(), dv.data() + h * K)
            : phase->rule(task).sample(fields.data(), zeta, head, v_star, feedback, coef.data(), dv.data() + h * K);
    if (!ok) return i;
    // one pass: W_{s+1} = decay W_s + coef x_s, and the next row's fields with W_{s+1}
    const bool more = i + 1 < n;
    if (more) load(i + 1, next);
    const double decay = rule.decay_w();
    for (int k = 0; k < K; ++k) {
      Real* w = W + k * ldw;
      const double c = static_cast<double>(coef[k]);
      double acc[kLanes] = {};
      auto column = [&](std::int64_t j, int lane) {
        w[j] = static_cast<Real>(decay * static_cast<double>(w[j]) + c * x[j]);
        acc[lane] += static_cast<double>(w[j]) * next[j];
      };
      std::int64_t j = 0;
      for (; j + kLanes <= N; j += kLanes)
        for (int l = 0; l < kLanes; ++l) column(j + l, l);
      for (; j < N; ++j) column(j, static_cast<int>(j % kLanes));
      fields[k] = reduce(acc);
    }
    rule.apply_head(head, dv.data() + h * K);
    ++steps;
    const int after = model::phase_at_step(cfg, steps);  // a switch's head assignment (copy_head)
    if (after > 0 && steps == model::first_step(cfg, after)) model::switch_heads(cfg, after, v);
    if (more) {
      row_fields(B, ldw, M, next.data(), N, fields.data() + K);
      x.swap(next);
    }
  }
  return n;
}

}  // namespace

template <class In>
std::uint64_t Simulator::advance_rows(const In* X, std::int64_t ld, std::uint64_t rows, const double* labels) {
  const int B = cfg_.batch;
  const std::uint64_t n = rows / static_cast<std::uint64_t>(B);
  if (diverged_ || n == 0) return 0;
  if (in_teacher_frame()) throw std::invalid_argument("advance_rows: the rows are in the input basis (inputs 'rows')");
  if (B == 1 && cfg_.temperature == 0.0) {  // the fused online loop on the stored weights
    const std::uint64_t did =
        is_float() ? online_rows(cfg_, Wf_.data(), Bf_.data(), ld_, student_.v.data(), teacher_.v.data(),
                                 fixed_feedback() ? fixed_feedback()->data() : nullptr, steps_, X, ld, n, labels)
                   : online_rows(cfg_, student_.W.data(), teacher_.W.data(), ld_, student_.v.data(), teacher_.v.data(),
                                 fixed_feedback() ? fixed_feedback()->data() : nullptr, steps_, X, ld, n, labels);
    diverged_ = did < n;
    carry_.clear();
    return did;
  }
  // copies in the input basis, stored back at the end (the frame is never used with given rows,
  // so storing them back is exact)
  TwoLayerNet s = student();
  const TwoLayerNet t = teacher();
  StepWorkspace ws;
  ws.resize(B, cfg_.N, cfg_.K, cfg_.teacher_rows());
  const bool label_noise = labels == nullptr && cfg_.any_label_noise();
  std::vector<double> noise(rng::kBlock);
  std::uint64_t noise_block = ~std::uint64_t(0);
  std::optional<model::PhaseRule> rule;
  int rule_phase = -1;
  std::uint64_t done = 0;
  for (; done < n; ++done) {
    if (phase() != rule_phase) rule.emplace(cfg_, rule_phase = phase());
    const std::uint64_t first = steps_ * static_cast<std::uint64_t>(B);
    for (int b = 0; b < B; ++b) {
      const In* row = X + static_cast<std::int64_t>(done * B + b) * ld;
      ws.X.row(b) = Eigen::Map<const Eigen::Matrix<In, 1, Eigen::Dynamic>>(row, cfg_.N).template cast<double>();
      if (label_noise) {  // zeta_s as the weights engine reads it (rng.hpp, Labels)
        const std::uint64_t sample = first + b;
        if (sample / rng::kBlock != noise_block) {
          noise_block = sample / rng::kBlock;
          rng::normal_block(cfg_.seed, rng::Stream::Labels, noise_block, 0, noise.data(), rng::kBlock);
        }
        ws.zeta(b) = noise[sample % rng::kBlock];
      }
    }
    if (cfg_.temperature != 0.0) ws.xi = weight_noise(steps_);
    if (!sgd_step(s, t, fixed_feedback(), *rule, first, ws, labels ? labels + done * B : nullptr)) {
      diverged_ = true;
      break;
    }
    if (is_float()) s.W = s.W.cast<float>().cast<double>();  // float storage: one rounding per step
    ++steps_;
    const int ph = phase();  // a switch's head assignment (copy_head), as after_steps() makes it
    if (ph > 0 && steps_ == model::first_step(cfg_, ph)) model::switch_heads(cfg_, ph, s.v.data());
  }
  store_student(s.W);
  student_.v = s.v;
  carry_.clear();
  return done;
}

template std::uint64_t Simulator::advance_rows<float>(const float*, std::int64_t, std::uint64_t, const double*);
template std::uint64_t Simulator::advance_rows<double>(const double*, std::int64_t, std::uint64_t, const double*);

}  // namespace onlinesgd
