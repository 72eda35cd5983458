#include "onlinesgd/step.hpp"

namespace onlinesgd {

bool sgd_step(TwoLayerNet& student, const TwoLayerNet& teacher, const Eigen::VectorXd* feedback,
              const ModelConfig& cfg, StepWorkspace& ws) {
  const model::Rule rule(cfg);
  const int B = static_cast<int>(ws.X.rows());
  const auto K = student.hidden(), M = teacher.hidden();
  ws.fields.leftCols(K).noalias() = ws.X * student.W.transpose();
  ws.fields.rightCols(M).noalias() = ws.X * teacher.W.transpose();
  ws.fields *= rule.inv_sqrt_n();
  ws.v = student.v;
  ws.dv.setZero();
  for (int b = 0; b < B; ++b) {
    // D holds the update coefficients so the update is one accumulate: W += D^T X.
    if (!rule.sample(ws.fields.row(b).data(), ws.zeta(b), ws.v.data(), teacher.v.data(),
                     feedback ? feedback->data() : nullptr, ws.D.row(b).data(), ws.dv.data()))
      return false;
  }
  if (rule.decay_w() != 1.0) student.W *= rule.decay_w();
  student.W.noalias() += ws.D.transpose() * ws.X;
  if (rule.noise_w() != 0.0) student.W += rule.noise_w() * ws.xi;
  rule.apply_head(student.v.data(), ws.dv.data());
  return true;
}

}  // namespace onlinesgd
