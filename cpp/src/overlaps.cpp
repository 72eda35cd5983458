#include "onlinesgd/overlaps.hpp"

namespace onlinesgd {

double task_error(const Overlaps& o, const ModelConfig& cfg, int p) {
  if (cfg.tasks() == 1 && cfg.heads() == 1) return generalisation_error(o, cfg);
  // teacher p's rows, then the fixed rows after all teachers' (centring)
  std::vector<int> rows;
  for (int m = cfg.task_first_row(p); m < cfg.task_first_row(p) + cfg.task_rows(p); ++m) rows.push_back(m);
  for (int m = cfg.M; m < static_cast<int>(o.T.rows()); ++m) rows.push_back(m);
  const auto n = static_cast<Eigen::Index>(rows.size());
  Overlaps sub;
  sub.Q = o.Q;
  sub.R.resize(o.Q.rows(), n);
  sub.T.resize(n, n);
  sub.v_star.resize(n);
  for (Eigen::Index a = 0; a < n; ++a) {
    sub.R.col(a) = o.R.col(rows[a]);
    sub.v_star(a) = o.v_star(rows[a]);
    for (Eigen::Index b = 0; b < n; ++b) sub.T(a, b) = o.T(rows[a], rows[b]);
  }
  sub.v = o.v.segment(static_cast<Eigen::Index>(cfg.head_of(p)) * cfg.K, cfg.K);
  return generalisation_error(sub, cfg.g_student, [&](Eigen::Index a) { return cfg.teacher_activation(rows[a]); });
}

std::vector<double> task_errors(const Overlaps& o, const ModelConfig& cfg) {
  std::vector<double> eg;
  for (int p = 0; p < cfg.tasks(); ++p) eg.push_back(task_error(o, cfg, p));
  return eg;
}

double training_error(const Overlaps& o, const ModelConfig& cfg, const model::Phase& phase) {
  if (phase.pure) return task_error(o, cfg, phase.main_task);
  double eg = 0.0;
  for (int p = 0; p < cfg.tasks(); ++p)
    if (phase.weights[p] != 0.0) eg += phase.weights[p] * task_error(o, cfg, p);
  return eg;
}

}  // namespace onlinesgd
