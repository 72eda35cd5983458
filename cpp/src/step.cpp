#include "onlinesgd/step.hpp"

#include <vector>

namespace onlinesgd {

bool sgd_step(TwoLayerNet& student, const TwoLayerNet& teacher, const Eigen::VectorXd* feedback,
              const model::PhaseRule& phase, std::uint64_t first_sample, StepWorkspace& ws, const double* labels) {
  const model::Rule& rule = phase.shared();
  const int B = static_cast<int>(ws.X.rows());
  const auto K = student.hidden(), M = teacher.hidden();
  ws.fields.leftCols(K).noalias() = ws.X * student.W.transpose();
  ws.fields.rightCols(M).noalias() = ws.X * teacher.W.transpose();
  ws.fields *= rule.inv_sqrt_n();
  ws.v = student.v;
  ws.dv.setZero(student.v.size());
  std::vector<int> used(static_cast<std::size_t>(student.v.size() / K), 0);  // samples per head
  for (int b = 0; b < B; ++b) {
    const int task = phase.task(first_sample + static_cast<std::uint64_t>(b)), h = phase.head(task);
    ++used[h];
    // D holds the update coefficients so the update is one accumulate: W += D^T X.
    const double* f = feedback ? feedback->data() : nullptr;
    const bool ok = labels ? phase.rule(task).sample_label(ws.fields.row(b).data(), labels[b], ws.v.data() + h * K, f,
                                                           ws.D.row(b).data(), ws.dv.data() + h * K)
                           : phase.rule(task).sample(ws.fields.row(b).data(), ws.zeta(b), ws.v.data() + h * K,
                                                     teacher.v.data(), f, ws.D.row(b).data(), ws.dv.data() + h * K);
    if (!ok) return false;
  }
  if (rule.decay_w() != 1.0) student.W *= rule.decay_w();
  student.W.noalias() += ws.D.transpose() * ws.X;
  if (rule.noise_w() != 0.0) student.W += rule.noise_w() * ws.xi;
  for (std::size_t h = 0; h < used.size(); ++h)
    if (used[h] > 0)
      rule.apply_head(student.v.data() + h * K, ws.dv.data() + h * K,
                      used[h] == B ? 1.0 : static_cast<double>(used[h]) / B);
  return true;
}

}  // namespace onlinesgd
