#include "onlinesgd/step.hpp"

#include <cmath>

namespace onlinesgd {

bool sgd_step(TwoLayerNet& student, const TwoLayerNet& teacher, const Eigen::VectorXd& feedback,
              const ModelConfig& cfg, StepWorkspace& ws) {
  const double inv_sqrt_n = 1.0 / std::sqrt(static_cast<double>(cfg.N));
  ws.lambda.noalias() = ws.X * student.W.transpose();
  ws.nu.noalias() = ws.X * teacher.W.transpose();
  ws.lambda *= inv_sqrt_n;
  ws.nu *= inv_sqrt_n;

  const int B = static_cast<int>(ws.X.rows());
  const auto K = student.hidden(), M = teacher.hidden();
  const double c_w = cfg.lr * inv_sqrt_n / B;
  const double c_v = cfg.lr_v / (static_cast<double>(cfg.N) * B);
  ws.dv.setZero();
  for (int b = 0; b < B; ++b) {
    double delta = -cfg.noise * ws.zeta(b);
    for (Eigen::Index k = 0; k < K; ++k) delta += student.v(k) * act_g(cfg.g_student, ws.lambda(b, k));
    for (Eigen::Index n = 0; n < M; ++n) delta -= teacher.v(n) * act_g(cfg.g_teacher, ws.nu(b, n));
    if (!std::isfinite(delta)) return false;
    for (Eigen::Index k = 0; k < K; ++k) {
      // lambda^2 ~ Q: once it overflows the recorded overlaps would be infinite.
      if (!std::isfinite(ws.lambda(b, k) * ws.lambda(b, k))) return false;
      // D holds minus the coefficient so the update is one accumulate: W += D^T X.
      ws.D(b, k) = -c_w * feedback(k) * act_dg(cfg.g_student, ws.lambda(b, k)) * delta;
      ws.dv(k) -= c_v * act_g(cfg.g_student, ws.lambda(b, k)) * delta;
    }
  }
  student.W.noalias() += ws.D.transpose() * ws.X;
  if (cfg.trains_second_layer()) student.v += ws.dv;
  return true;
}

}  // namespace onlinesgd
