// Simulator::advance_rows: online SGD on given input rows (the user's data, a Gaussian mixture's
// samples). Rows are not drawn by the fused kernel, so each step is the reference step
// (step.hpp) on the row, in plain double matrix algebra: two passes over W per step instead of
// the kernel's half pass, but no draw.
#include <optional>
#include <vector>

#include "onlinesgd/model/phase_rule.hpp"
#include "onlinesgd/model/schedule.hpp"
#include "onlinesgd/rng.hpp"
#include "onlinesgd/simulator.hpp"

namespace onlinesgd {

template <class In>
std::uint64_t Simulator::advance_rows(const In* X, std::int64_t ld, std::uint64_t rows, const double* labels) {
  const int B = cfg_.batch;
  const std::uint64_t n = rows / static_cast<std::uint64_t>(B);
  if (diverged_ || n == 0) return 0;
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
