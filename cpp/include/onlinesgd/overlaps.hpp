#pragma once
/// Order parameters Q = W W^T / N, R = W B^T / N, T = B B^T / N and the generalisation
/// error eg = 1/2 E[(phi(x) - phi*(x))^2] computed exactly from them (docs/theory.md §3).
#include <vector>

#include <Eigen/Dense>

#include "onlinesgd/activation.hpp"
#include "onlinesgd/gaussian/i2.hpp"
#include "onlinesgd/model/config.hpp"
#include "onlinesgd/model/schedule.hpp"

namespace onlinesgd {

struct Overlaps {
  Eigen::MatrixXd Q;       ///< K x K
  Eigen::MatrixXd R;       ///< K x M
  Eigen::MatrixXd T;       ///< M x M
  Eigen::VectorXd v;       ///< K, student second layer (heads x K: every head, head h at h K)
  Eigen::VectorXd v_star;  ///< M, teacher second layer (all teachers' rows)
};

/// eg from the overlaps: 1/2 [sum v_i v_j I2(i,j) + sum v*_n v*_m I2(n,m) - 2 sum v_i v*_n I2(i,n)],
/// with g_teacher(m) the activation of teacher row m.
template <class TeacherActivation>
double generalisation_error(const Overlaps& o, Activation g_student, TeacherActivation g_teacher) {
  using gaussian::i2;
  const auto K = o.Q.rows(), M = o.T.rows();
  double ss = 0.0, tt = 0.0, st = 0.0;
  for (Eigen::Index i = 0; i < K; ++i)
    for (Eigen::Index j = i; j < K; ++j)
      ss += (i == j ? 1.0 : 2.0) * o.v(i) * o.v(j) * i2(g_student, g_student, o.Q(i, i), o.Q(j, j), o.Q(i, j));
  for (Eigen::Index n = 0; n < M; ++n)
    for (Eigen::Index m = n; m < M; ++m)
      tt += (n == m ? 1.0 : 2.0) * o.v_star(n) * o.v_star(m) *
            i2(g_teacher(n), g_teacher(m), o.T(n, n), o.T(m, m), o.T(n, m));
  for (Eigen::Index i = 0; i < K; ++i)
    for (Eigen::Index n = 0; n < M; ++n)
      st += o.v(i) * o.v_star(n) * i2(g_student, g_teacher(n), o.Q(i, i), o.T(n, n), o.R(i, n));
  return 0.5 * (ss + tt - 2.0 * st);
}

/// eg with one activation for every teacher row.
inline double generalisation_error(const Overlaps& o, Activation g_student, Activation g_teacher) {
  return generalisation_error(o, g_student, [g_teacher](Eigen::Index) { return g_teacher; });
}

/// eg of the model cfg describes (its teacher rows' activations, model/config.hpp), with one
/// teacher and one head.
inline double generalisation_error(const Overlaps& o, const ModelConfig& cfg) {
  return generalisation_error(o, cfg.g_student, [&cfg](Eigen::Index m) { return cfg.teacher_activation(int(m)); });
}

/// eg on task p (docs/theory.md §5): the student with the head task p uses against the noiseless
/// teacher p (its rows and the fixed centring rows). With one teacher and one head, the eg above.
double task_error(const Overlaps& o, const ModelConfig& cfg, int p);

/// eg on every task, in order.
std::vector<double> task_errors(const Overlaps& o, const ModelConfig& cfg);

/// The error on a phase's training distribution: its fractions times the tasks' errors (a pure
/// phase: its task's error).
double training_error(const Overlaps& o, const ModelConfig& cfg, const model::Phase& phase);

}  // namespace onlinesgd
