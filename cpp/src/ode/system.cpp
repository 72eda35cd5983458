// The ODE right-hand side: a closed-form erf kernel and a generic one for every activation.
#include "onlinesgd/ode/system.hpp"

#include <cmath>

#include "onlinesgd/gaussian/averages.hpp"
#include "onlinesgd/gaussian/i2.hpp"
#include "onlinesgd/parallel.hpp"

namespace onlinesgd::ode {

namespace {
constexpr double k2OverPi = 2.0 / kPi;
}

System::System(const ModelConfig& cfg, const Eigen::MatrixXd& T, const Eigen::VectorXd& v_star,
               const Eigen::VectorXd* feedback, bool sgd_noise)
    : cfg_(cfg),
      sgd_noise_(sgd_noise),
      rates_(model::rates(cfg)),
      phase_(model::phase(cfg, 0)),
      K_(cfg.K),
      M_(static_cast<int>(T.rows())),
      n_(cfg.K + static_cast<int>(T.rows())),
      H_(cfg.heads()),
      T_(T),
      v_star_(v_star) {
  if (feedback)
    feedback_ = *feedback;
  else if (cfg.feedback == Feedback::Fixed)
    feedback_ = model::feedback_vector(cfg);  // the simulation's b
  for (int i = 0; i < K_; ++i)
    for (int k = i; k < K_; ++k) pairs_.emplace_back(i, k);
  C_.resize(n_, n_);
  u_.resize(n_);
  ya_.resize(n_);
  v_.resize(K_);
  heads_.resize(H_ * K_);
  part_.resize(static_cast<std::size_t>(size()));
  active_.reserve(static_cast<std::size_t>(n_));  // use_task refills it without allocating
  i3sum_.resize(K_, n_);
  eta2_.resize(static_cast<Eigen::Index>(pairs_.size()));
  dv_.resize(K_);
  for (int c = 0; c < n_; ++c) act_.push_back(c < K_ ? cfg.g_student : cfg.teacher_activation(c - K_));
  cheap_ = cheap_averages();
  const bool erf = cfg_.all_erf();
  if (erf)
    pair_ws_.resize(3 * n_, static_cast<Eigen::Index>(pairs_.size()));
  else {
    e1_.resize(K_, n_);
    e2_.resize(K_, n_);
  }
}

void System::pack(const Overlaps& o, double* y) const {
  int p = 0;
  for (int i = 0; i < K_; ++i)
    for (int k = i; k < K_; ++k) y[p++] = 0.5 * (o.Q(i, k) + o.Q(k, i));
  for (int i = 0; i < K_; ++i)
    for (int n = 0; n < M_; ++n) y[p++] = o.R(i, n);
  for (int i = 0; i < H_ * K_; ++i) y[p++] = o.v(i);
}

Overlaps System::unpack(const double* y) const {
  Overlaps o;
  o.Q.resize(K_, K_);
  o.R.resize(K_, M_);
  int p = 0;
  for (int i = 0; i < K_; ++i)
    for (int k = i; k < K_; ++k) o.Q(i, k) = o.Q(k, i) = y[p++];
  for (int i = 0; i < K_; ++i)
    for (int n = 0; n < M_; ++n) o.R(i, n) = y[p++];
  o.v.resize(H_ * K_);
  for (int i = 0; i < H_ * K_; ++i) o.v(i) = y[p++];
  o.T = T_;
  o.v_star = v_star_;
  return o;
}

void System::load(const double* y) {
  int p = 0;
  for (int i = 0; i < K_; ++i)
    for (int k = i; k < K_; ++k) C_(i, k) = C_(k, i) = y[p++];
  for (int i = 0; i < K_; ++i)
    for (int n = 0; n < M_; ++n) C_(i, K_ + n) = C_(K_ + n, i) = y[p++];
  C_.bottomRightCorner(M_, M_) = T_;
  for (int i = 0; i < H_ * K_; ++i) heads_(i) = y[p++];
  if (!cfg_.all_erf()) generic_pair_averages();
}

void System::use_task(int task) {
  head_ = cfg_.head_of(task);
  v_ = heads_.segment(static_cast<Eigen::Index>(head_) * K_, K_);
  u_.head(K_) = -v_;
  f_ = Eigen::Map<const Eigen::VectorXd>(
      model::feedback_in_use(cfg_.feedback, v_.data(), feedback_.size() ? feedback_.data() : nullptr), K_);
  // u* = the task's readout on its rows and on the fixed (centring) rows, 0 on other teachers'
  const int first = cfg_.task_first_row(task), last = first + cfg_.task_rows(task);
  active_.clear();
  for (int c = 0; c < K_; ++c) active_.push_back(c);
  for (int m = 0; m < M_; ++m) {
    const bool in_use = (m >= first && m < last) || m >= cfg_.M;
    u_(K_ + m) = in_use ? v_star_(m) : 0.0;
    if (in_use) active_.push_back(K_ + m);
  }
  rates_ = model::rates(cfg_, task, phase_.frozen);
}

void System::set_phase(int s) { phase_ = model::phase(cfg_, s); }

void System::enter_phase(int s, double* y) {
  set_phase(s);
  model::switch_heads(cfg_, s, y + K_ * (K_ + 1) / 2 + K_ * M_);
}

void System::rhs(const double* y, double* dy) {
  load(y);
  if (phase_.pure) {
    use_task(phase_.main_task);
    return task_rhs(dy);
  }
  // a mixture: each sample comes from one task, so the drift is the fraction-weighted sum (§5)
  std::fill(dy, dy + size(), 0.0);
  for (int task = 0; task < cfg_.tasks(); ++task) {
    const double w = phase_.weights[task];
    if (w == 0.0) continue;
    use_task(task);
    task_rhs(part_.data());
    for (int i = 0; i < size(); ++i) dy[i] += w * part_[i];
  }
}

void System::task_rhs(double* dy) {
  if (cfg_.all_erf())
    rhs_erf(dy);
  else
    rhs_generic(dy);
}

void System::rhs_erf(double* dy) {
  const int n = n_;
  // I3 (Saad & Solla): I3(a,b,c) = (2/pi) [C_bc (1+C_aa) - C_ab C_ac] / [(1+C_aa) sqrt(L3_ac)],
  // so sum_c u_c I3(a,b,c) = (2/pi) [(C y_a)_b - C_ab / (1+C_aa) (C y_a)_a] with y_a,c = u_c / sqrt(L3_ac).
  for (int a = 0; a < K_; ++a) {
    const double da = 1.0 + C_(a, a);
    for (int c = 0; c < n; ++c) ya_(c) = u_(c) / std::sqrt(da * (1.0 + C_(c, c)) - C_(a, c) * C_(a, c));
    auto col = i3sum_.row(a);
    col.noalias() = ya_.transpose() * C_;  // = (C y_a)^T, C symmetric
    const double saa = col(a);
    for (int b = 0; b < n; ++b) col(b) = k2OverPi * (col(b) - C_(a, b) / da * saa);
  }
  // I4 and J2 by Gaussian reweighting (see gaussian/averages.cpp, i4): per pair (i, k) the
  // normalisation Z = L4^(-1/2) and the Woodbury factors alpha, beta depend on (i, k) only,
  // 1/sqrt(1 + C'_cc) on (i, k, c); the double sum over (c, d) is then one asin per term.
  const double sigma2 = rates_.sigma2;
  const auto npairs = static_cast<std::int64_t>(pairs_.size());
  // Threads only for regions of >~2 ms (K >~ 28 at M = 2): on a shared 2-core machine a
  // parallel region can wait a whole scheduler slice (~5 ms) for its second thread, which
  // made K = 20 30x slower under load; single-threaded K = 20 takes ~0.01 s per unit t.
  const bool threads = static_cast<double>(npairs) * n * n > 8e5;
  parallel_for(npairs, threads, [&](std::int64_t q) {
    const int a = pairs_[q].first, b = pairs_[q].second;
    const double s00 = 1.0 + C_(a, a), s11 = 1.0 + C_(b, b), s01 = C_(a, b);
    const double l4 = s00 * s11 - s01 * s01, inv_l4 = 1.0 / l4;
    double* alpha = pair_ws_.col(q).data();
    double* beta = alpha + n;
    double* s = beta + n;
    const double* Ca = C_.col(a).data();
    const double* Cb = C_.col(b).data();
    // only the fields where u can be non-zero (all of them with one teacher)
    const int na = static_cast<int>(active_.size());
    const int* act = active_.data();
    for (int ci = 0; ci < na; ++ci) {
      const int c = act[ci];
      alpha[c] = (s11 * Ca[c] - s01 * Cb[c]) * inv_l4;
      beta[c] = (s00 * Cb[c] - s01 * Ca[c]) * inv_l4;
      s[c] = 1.0 / std::sqrt(1.0 + C_(c, c) - Ca[c] * alpha[c] - Cb[c] * beta[c]);
    }
    double qf = 0.0;
    for (int ci = 0; ci < na; ++ci) {
      const int c = act[ci];
      const double* Cc = C_.col(c).data();
      const double ac = Ca[c], bc = Cb[c], sc = s[c];
      double row = 0.5 * u_(c) * std::asin((Cc[c] - ac * alpha[c] - bc * beta[c]) * sc * sc);
      for (int di = ci + 1; di < na; ++di) {
        const int d = act[di];
        row += u_(d) * std::asin((Cc[d] - ac * alpha[d] - bc * beta[d]) * sc * s[d]);
      }
      qf += u_(c) * row;
    }
    // qf holds half the symmetric double sum; I4 = (4/pi^2) Z asin(...), J2 = (2/pi) Z.
    const double z = std::sqrt(inv_l4);
    eta2_(q) = k2OverPi * z * (k2OverPi * 2.0 * qf + sigma2);
  });
  if (rates_.eta_v != 0.0) {
    for (int i = 0; i < K_; ++i) {
      double acc = 0.0;
      for (const int c : active_) acc += u_(c) * std::asin(C_(i, c) / std::sqrt((1.0 + C_(i, i)) * (1.0 + C_(c, c))));
      dv_(i) = k2OverPi * acc;
    }
  }
  assemble(dy);
}

bool System::cheap_averages() const {
  // closed forms: ~1-5 us per I4; sigmoid and tanh take quadratures of ~ms
  auto closed_form = [](Activation g) {
    return g == Activation::Erf || g == Activation::Relu || g == Activation::Linear;
  };
  bool cheap = closed_form(cfg_.g_student);
  for (int m = 0; m < M_; ++m) cheap = cheap && closed_form(cfg_.teacher_activation(m));
  return cheap;
}

void System::generic_pair_averages() {
  using namespace gaussian;
  const Activation gs = cfg_.g_student;
  // I3 by integration by parts: I3(a,b,c) = C_ab E[g''(a) g(c)] + C_bc E[g'(a) g'(c)];
  // the two 2-D averages depend on (a, c) only, not on the task.
  parallel_for(K_, !cheap_ && K_ > 1, [&](std::int64_t a) {
    for (int c = 0; c < n_; ++c) {
      e1_(a, c) = e_d2g_g(gs, act_[c], C_(a, a), C_(c, c), C_(a, c));
      e2_(a, c) = j2(gs, act_[c], C_(a, a), C_(c, c), C_(a, c));
    }
  });
}

void System::rhs_generic(double* dy) {
  using namespace gaussian;
  const int n = n_;
  const Activation gs = cfg_.g_student;
  auto act = [&](int c) { return act_[c]; };
  // Threads only for regions of >~2 ms of work (see rhs_erf).
  const auto npairs = static_cast<std::int64_t>(pairs_.size());
  const bool threads = !cheap_ || static_cast<double>(npairs) * n * n >= 2000;
  for (int a = 0; a < K_; ++a) {
    const double s1 = e1_.row(a).dot(u_);
    ya_ = e2_.row(a).transpose().cwiseProduct(u_);
    for (int b = 0; b < n; ++b) i3sum_(a, b) = C_(a, b) * s1 + C_.row(b).dot(ya_);
  }
  const double sigma2 = rates_.sigma2;
  parallel_for(npairs, threads, [&](std::int64_t q) {
    const int a = pairs_[q].first, b = pairs_[q].second;
    int idx[4] = {a, b, 0, 0};
    Eigen::Matrix4d C4;
    double acc = 0.0;
    for (int c = 0; c < n; ++c)
      for (int d = c; d < n; ++d) {
        const double w = (c == d ? 1.0 : 2.0) * u_(c) * u_(d);
        if (w == 0.0) continue;
        idx[2] = c;
        idx[3] = d;
        for (int x = 0; x < 4; ++x)
          for (int z = 0; z < 4; ++z) C4(x, z) = C_(idx[x], idx[z]);
        acc += w * i4(gs, gs, act(c), act(d), C4);
      }
    eta2_(q) = acc + sigma2 * j2(gs, gs, C_(a, a), C_(b, b), C_(a, b));
  });
  if (rates_.eta_v != 0.0) {
    for (int i = 0; i < K_; ++i) {
      double acc = 0.0;
      for (int c = 0; c < n; ++c) acc += u_(c) * i2(gs, act(c), C_(i, i), C_(c, c), C_(i, c));
      dv_(i) = acc;
    }
  }
  assemble(dy);
}

void System::assemble(double* dy) const {
  // The eta^2 terms are the SGD noise; gradient flow drops them (docs/theory.md §8).
  const double eta = rates_.eta, eta2 = sgd_noise_ ? eta * eta : 0.0;
  const double decay = eta * rates_.decay, heat = 2.0 * eta * rates_.temperature;
  int p = 0;
  for (std::size_t q = 0; q < pairs_.size(); ++q) {
    const int i = pairs_[q].first, k = pairs_[q].second;
    dy[p++] = eta * (f_(i) * i3sum_(i, k) + f_(k) * i3sum_(k, i)) + eta2 * f_(i) * f_(k) * eta2_(q) -
              2.0 * decay * C_(i, k) + (i == k ? heat : 0.0);
  }
  for (int i = 0; i < K_; ++i)
    for (int n = 0; n < M_; ++n) dy[p++] = eta * f_(i) * i3sum_(i, K_ + n) - decay * C_(i, K_ + n);
  const double eta_v = rates_.eta_v;
  for (int h = 0; h < H_; ++h)  // only the head of the task in use moves
    for (int i = 0; i < K_; ++i) dy[p++] = eta_v == 0.0 || h != head_ ? 0.0 : eta_v * (dv_(i) - rates_.decay_v * v_(i));
}

Eigen::MatrixXd System::sgd_temperature(const double* y) {
  std::vector<double> dy(static_cast<std::size_t>(size()));
  load(y);
  use_task(phase_.main_task);
  task_rhs(dy.data());
  Eigen::MatrixXd temp(K_, K_);
  for (std::size_t q = 0; q < pairs_.size(); ++q) {
    const int i = pairs_[q].first, k = pairs_[q].second;
    temp(i, k) = temp(k, i) = 0.5 * rates_.eta * f_(i) * f_(k) * eta2_(q);
  }
  return temp;
}

}  // namespace onlinesgd::ode
