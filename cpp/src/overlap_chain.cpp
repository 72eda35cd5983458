#include "onlinesgd/overlap_chain.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

#include "onlinesgd/chain/triangular.hpp"
#include "onlinesgd/model/teachers.hpp"
#include "onlinesgd/parallel.hpp"

namespace onlinesgd {
namespace {

void check_engine(const ModelConfig& cfg) {
  const auto& inputs = input_traits(cfg.inputs);
  if (!inputs.rotation_invariant)
    throw std::invalid_argument(std::string("engine 'overlaps' cannot run inputs='") + inputs.name +
                                "': their law is not rotation invariant, and the overlap chain is exact only for "
                                "isotropic Gaussian inputs (use engine='weights')");
  if (cfg.precision != Precision::Float64)
    throw std::invalid_argument(
        "engine 'overlaps' runs in float64 only (precision='float32' stores weights, which "
        "this engine does not have)");
  const std::int64_t d = cfg.K + cfg.teacher_rows();
  if (cfg.N < d)
    throw std::invalid_argument("N = " + std::to_string(cfg.N) + " is below K + teacher rows = " + std::to_string(d) +
                                ": the overlap engine needs the tracked rows to fit in the input space");
}

/// Number of sub-diagonal entries of an n x m lower-trapezoidal Bartlett factor.
std::uint64_t below_diagonal(int n, int m) {
  std::uint64_t count = 0;
  for (int j = 0; j < n; ++j) count += static_cast<std::uint64_t>(std::min(j, m));
  return count;
}

/// Bartlett factor of n i.i.d. N(0, I) vectors in a space of dimension `room` (m = min(n, room)
/// columns): row j has sqrt(chi-square(room - j)) on the diagonal (j < m) and N(0, 1) below it.
/// Rows j >= m (more vectors than dimensions) are all N(0, 1). Their coordinates in an
/// orthonormal basis of their span (Bartlett 1933; the LQ factor of a Gaussian matrix).
template <class Chi>
void bartlett(Eigen::MatrixXd& L, int n, int m, chain::NormalStream& normals, chain::Words& words, Chi chi) {
  for (int j = 0; j < n; ++j) {
    if (j < m) L(j, j) = std::sqrt(2.0 * chi(j).draw(normals.next(), words));
    for (int i = 0; i < std::min(j, m); ++i) L(j, i) = normals.next();
  }
}

}  // namespace

OverlapChain::OverlapChain(const ModelConfig& cfg)
    : cfg_((check_engine(cfg), cfg)),
      inv_sqrt_n_(1.0 / std::sqrt(static_cast<double>(cfg.N))),
      K_(cfg.K),
      Mt_(cfg.teacher_rows()),
      B_(cfg.batch),
      H_(cfg.heads()),
      noise_rows_(cfg.temperature != 0.0 ? cfg.K : 0),
      label_noise_(false),
      normals_(cfg.seed, rng::Stream::Chain) {
  for (int p = 0; p < cfg.tasks(); ++p) label_noise_ = label_noise_ || cfg.task_noise(p) != 0.0;
  const int d = K_ + Mt_, n = B_ + noise_rows_;
  const std::int64_t room = cfg.N - d;
  m_ = static_cast<int>(std::min<std::int64_t>(n, room));
  for (int j = 0; j < m_; ++j) chi_.push_back(chain::chi_square_sampler(static_cast<double>(room - j)));
  per_step_ = static_cast<std::uint64_t>(B_) * (d + (label_noise_ ? 1 : 0)) + m_ + below_diagonal(n, m_) +
              static_cast<std::uint64_t>(noise_rows_) * d;
  Z_.resize(d, B_);
  C_.resize(K_, B_);
  Bart_ = Eigen::MatrixXd::Zero(n, std::max(m_, 1));
  Xi_.resize(K_, d);
  A_.resize(K_, K_ + m_);
  work_.resize(d + B_ + noise_rows_ + d);
  fields_.resize(d);
  raw_.resize(d);
  coef_.resize(K_);
  dv_ = Eigen::VectorXd::Zero(H_ * K_);
  used_.assign(static_cast<std::size_t>(H_), 0);
  Wz_.resize(K_ + m_, B_);
  others_.resize(static_cast<std::size_t>(B_));

  v_ = Eigen::VectorXd::Constant(H_ * K_, cfg.v_init);
  v_star_ = Eigen::VectorXd::Constant(Mt_, cfg.v_init);  // centring rows: the initial head
  v_star_.head(cfg.M) = model::teacher_readout(cfg);
  if (cfg.feedback == Feedback::Fixed) feedback_ = model::feedback_vector(cfg);
  if (!cfg.teacher_overlap.empty()) {
    init_teachers_with_overlaps();
    return;
  }

  // The teacher's M rows and the student's K rows are independent Gaussian vectors: their
  // coordinates in a basis of their span are a Bartlett factor (N >= d >= M + K: square).
  const int n0 = cfg.M + K_;
  chain::NormalStream init(cfg.seed, rng::Stream::ChainInit);
  init.seek(0);
  chain::Words words{rng::block_key(cfg.seed, rng::Stream::ChainInit, 0, 1)};
  Eigen::MatrixXd L0 = Eigen::MatrixXd::Zero(n0, n0);
  bartlett(L0, n0, n0, init, words, [&](int j) { return chain::chi_square_sampler(static_cast<double>(cfg.N - j)); });
  const double inv_sqrt_n = inv_sqrt_n_;
  L0.topRows(cfg.M) *= inv_sqrt_n;
  L0.bottomRows(K_) *= cfg.init_std * inv_sqrt_n;
  U_ = Eigen::MatrixXd::Zero(d, d + m_);
  U_.block(0, 0, cfg.M, n0) = L0.topRows(cfg.M);
  if (cfg.centred) U_.block(cfg.M, 0, K_, n0) = L0.bottomRows(K_);
  U_.block(Mt_, 0, K_, n0) = L0.bottomRows(K_);
}

void OverlapChain::init_teachers_with_overlaps() {
  // The weights engine's teachers are B = L O sqrt(N) with L = psd_factor(Omega) and O orthonormal
  // rows (model/teachers.hpp), independent of the students. So in the basis of O's rows (completed
  // by the students' perpendicular parts) the teachers' coordinates are L, a student's along O's
  // rows are i.i.d. N(0, init_std^2) / sqrt(N), and its perpendicular parts a Bartlett factor in
  // the N - M remaining dimensions: already lower triangular (no centring rows with several teachers).
  const int M = cfg_.M;
  chain::NormalStream init(cfg_.seed, rng::Stream::ChainInit);
  init.seek(0);
  chain::Words words{rng::block_key(cfg_.seed, rng::Stream::ChainInit, 0, 1)};
  Eigen::MatrixXd perp = Eigen::MatrixXd::Zero(K_, K_);
  bartlett(perp, K_, K_, init, words,
           [&](int j) { return chain::chi_square_sampler(static_cast<double>(cfg_.N - M - j)); });
  const double scale = cfg_.init_std * inv_sqrt_n_;
  U_ = Eigen::MatrixXd::Zero(K_ + Mt_, K_ + Mt_ + m_);
  U_.topLeftCorner(M, M) = model::psd_factor(Eigen::Map<const Eigen::MatrixXd>(cfg_.teacher_overlap.data(), M, M));
  for (int k = 0; k < K_; ++k)
    for (int j = 0; j < M; ++j) U_(M + k, j) = scale * init.next();
  U_.block(M, M, K_, K_) = scale * perp;
}

void OverlapChain::set_factor(const Eigen::MatrixXd& U) {
  const int d = dim();
  if (U.rows() != d || U.cols() != d) throw std::invalid_argument("factor must be d x d, d = K + teacher rows");
  if (!U.allFinite()) throw std::invalid_argument("factor must be finite");
  for (int j = 1; j < d; ++j)
    for (int i = 0; i < j; ++i)
      if (U(i, j) != 0.0) throw std::invalid_argument("factor must be lower triangular");
  U_.leftCols(d) = U;
  diverged_ = false;
}

void OverlapChain::set_overlaps(const Eigen::MatrixXd& Q, const Eigen::MatrixXd& R, const Eigen::MatrixXd& T) {
  const int d = dim();
  if (Q.rows() != K_ || Q.cols() != K_) throw std::invalid_argument("Q must be K x K");
  if (R.rows() != K_ || R.cols() != Mt_) throw std::invalid_argument("R must be K x teacher rows");
  if (T.rows() != Mt_ || T.cols() != Mt_) throw std::invalid_argument("T must be teacher rows x teacher rows");
  Eigen::MatrixXd G(d, d);
  G << T, R.transpose(), R, Q;
  if (!G.allFinite()) throw std::invalid_argument("overlaps Q, R, T must be finite");
  const double scale = std::max(1.0, G.cwiseAbs().maxCoeff());
  if ((G - G.transpose()).cwiseAbs().maxCoeff() > 1e-12 * scale)
    throw std::invalid_argument("overlaps Q and T must be symmetric");
  const Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> eig(0.5 * (G + G.transpose()));
  const double lowest = eig.eigenvalues().minCoeff();
  // Rounding of a Gram matrix computed from weights leaves eigenvalues ~1e-16 scale below 0.
  if (lowest < -1e-10 * scale)
    throw std::invalid_argument(
        "overlaps: the Gram matrix [[T, R^T], [R, Q]] must be positive semi-definite "
        "(smallest eigenvalue " +
        std::to_string(lowest) + ")");
  // A square root F F^T = G (rank-deficient is fine), then its LQ factor: lower triangular.
  RowMatrix F = eig.eigenvectors() * eig.eigenvalues().cwiseMax(0.0).cwiseSqrt().asDiagonal();
  chain::householder_lq(F, work_.data());
  U_.leftCols(d) = F;
  diverged_ = false;
}

void OverlapChain::set_heads(const Eigen::VectorXd& v, const Eigen::VectorXd& v_star) {
  if ((v.size() != K_ && v.size() != H_ * K_) || v_star.size() != Mt_)
    throw std::invalid_argument("v must have K entries (or heads x K), v_star teacher rows");
  v_ = v.size() == K_ ? Eigen::VectorXd(v.replicate(H_, 1)) : v;
  v_star_ = v_star;
  diverged_ = false;
}

Eigen::VectorXd OverlapChain::active_head() const {
  const int h = cfg_.head_of(model::phase(cfg_, phase()).main_task);
  return v_.segment(static_cast<Eigen::Index>(h) * K_, K_);
}

bool OverlapChain::use_givens() const {
  // Langevin noise is a rank-K update: reflect. Otherwise rotations are as fast at K = 2 and
  // O(K) times faster at large K (bench/README.md, "Overlap engine").
  return noise_rows_ == 0 && method_ != Method::Householder;
}

std::uint64_t OverlapChain::advance(std::uint64_t n) {
  if (diverged_) return 0;
  normals_.seek(steps_ * per_step_);
  std::uint64_t done = 0;
  while (done < n) {  // phase by phase, as the weights engine (simulator.cpp)
    const int s = phase();
    const bool last = s + 1 == model::phases(cfg_);
    const std::uint64_t end =
        last ? steps_ + (n - done) : std::min(steps_ + (n - done), model::first_step(cfg_, s + 1));
    const model::PhaseRule rule(cfg_, s);
    while (steps_ < end) {
      if (!step(rule)) {
        diverged_ = true;
        return done;
      }
      ++steps_;
      ++done;
    }
    if (!last && steps_ == model::first_step(cfg_, s + 1)) model::switch_heads(cfg_, s + 1, v_.data());
  }
  return done;
}

bool OverlapChain::step(const model::PhaseRule& phase) {
  const int d = dim();
  const double inv_sqrt_n = inv_sqrt_n_;
  const model::Rule& shared = phase.shared();
  const double* b = feedback_.size() ? feedback_.data() : nullptr;
  // Plain loops below: at K = M = 2 a step is ~300 ns, and Eigen's dynamic-size expressions
  // cost tens of ns each there.
  const std::uint64_t sample0 = steps_ * static_cast<std::uint64_t>(B_);
  for (int s = 0; s < B_; ++s) {
    double* z = Z_.col(s).data();
    for (int j = 0; j < d; ++j) z[j] = normals_.next();
    const double zeta = label_noise_ ? normals_.next() : 0.0;
    chain::lower_times(chain::TriBlock{U_.data(), d, d}, d, z, raw_.data());
    for (int k = 0; k < K_; ++k) fields_[k] = raw_[Mt_ + k];  // the rule takes student fields first
    for (int m = 0; m < Mt_; ++m) fields_[K_ + m] = raw_[m];
    const int task = phase.task(sample0 + static_cast<std::uint64_t>(s)), h = phase.head(task);
    ++used_[static_cast<std::size_t>(h)];
    if (!phase.rule(task).sample(fields_.data(), zeta, v_.data() + h * K_, v_star_.data(), b, coef_.data(),
                                 dv_.data() + h * K_)) {
      dv_.setZero();
      std::fill(used_.begin(), used_.end(), 0);
      return false;
    }
    // w_k += coef_k x, so u_k = w_k / sqrt(N) moves by coef_k / sqrt(N) x
    for (int k = 0; k < K_; ++k) C_(k, s) = coef_[k] * inv_sqrt_n;
  }
  const int n = B_ + noise_rows_;
  if (m_ > 0) {
    chain::Words words{rng::block_key(cfg_.seed, rng::Stream::ChainWords, steps_, 0)};
    bartlett(Bart_, n, m_, normals_, words, [&](int j) -> const chain::GammaSampler& { return chi_[j]; });
  }
  const double decay = shared.decay_w(), noise = shared.noise_w() * inv_sqrt_n;
  if (noise_rows_)
    for (int k = 0; k < K_; ++k)
      for (int j = 0; j < d; ++j) Xi_(k, j) = normals_.next();
  // Student rows against the teacher columns: a plain update (no triangular structure there).
  for (int j = 0; j < Mt_; ++j)
    for (int k = 0; k < K_; ++k) {
      double u = decay * U_(Mt_ + k, j);
      for (int s = 0; s < B_; ++s) u += C_(k, s) * Z_(j, s);
      if (noise_rows_) u += noise * Xi_(k, j);
      U_(Mt_ + k, j) = u;
    }
  if (use_givens())
    compress_givens(decay);
  else
    compress_householder(decay, noise);
  // each used head decays by its share of the samples (fast_step.cpp does the same)
  for (int h = 0; h < H_; ++h) {
    const int used = used_[static_cast<std::size_t>(h)];
    if (used == 0) continue;
    const double share = used == B_ ? 1.0 : static_cast<double>(used) / B_;
    shared.apply_head(v_.data() + h * K_, dv_.data() + h * K_, share);
    for (int k = 0; k < K_; ++k) dv_[h * K_ + k] = 0.0;
    used_[static_cast<std::size_t>(h)] = 0;
  }
  return true;
}

void OverlapChain::compress_householder(double decay, double noise) {
  auto L = U_.block(Mt_, Mt_, K_, K_);
  A_.leftCols(K_) = decay * L;
  A_.leftCols(K_).noalias() += C_ * Z_.bottomRows(K_).transpose();
  if (noise_rows_) A_.leftCols(K_) += noise * Xi_.rightCols(K_);
  // the new directions: the perpendicular parts of the inputs (and of the noise vectors)
  if (m_ > 0) {
    A_.rightCols(m_).noalias() = C_ * Bart_.topLeftCorner(B_, m_);
    if (noise_rows_) A_.rightCols(m_) += noise * Bart_.block(B_, 0, noise_rows_, m_);
  }
  chain::householder_lq(A_, work_.data());
  L = A_.leftCols(K_);
}

void OverlapChain::compress_givens(double decay) {
  const int d = dim();
  const chain::TriBlock L{U_.data() + static_cast<long>(Mt_) * d + Mt_, K_, d};
  if (decay != 1.0)
    for (int j = 0; j < K_; ++j)
      for (int r = j; r < K_; ++r) L.col(j)[r] *= decay;
  // each sample's coordinates: in the student block's basis, then along the new directions
  for (int s = 0; s < B_; ++s) {
    for (int k = 0; k < K_; ++k) Wz_(k, s) = Z_(Mt_ + k, s);
    for (int j = 0; j < m_; ++j) Wz_(K_ + j, s) = Bart_(s, j);
  }
  for (int s = 0; s < B_; ++s) {
    const int rest = B_ - 1 - s;
    for (int o = 0; o < rest; ++o) others_[static_cast<std::size_t>(o)] = Wz_.col(s + 1 + o).data();
    chain::rank_one_update(L, K_ + m_, C_.col(s).data(), Wz_.col(s).data(), others_.data(), rest);
  }
  chain::positive_diagonal(L);
}

Overlaps OverlapChain::overlaps() const {
  const auto U = U_.leftCols(dim());
  const Eigen::MatrixXd G = U * U.transpose();
  Overlaps o;
  o.T = G.topLeftCorner(Mt_, Mt_);
  o.R = G.bottomLeftCorner(K_, Mt_);
  o.Q = G.bottomRightCorner(K_, K_);
  o.v = v_;
  o.v_star = v_star_;
  return o;
}

double OverlapChain::generalisation_error() const {
  return training_error(overlaps(), cfg_, model::phase(cfg_, phase()));
}

std::vector<double> OverlapChain::task_errors() const { return onlinesgd::task_errors(overlaps(), cfg_); }

std::vector<std::uint64_t> advance_chains(const std::vector<OverlapChain*>& chains, std::uint64_t n) {
  std::vector<std::uint64_t> done(chains.size(), 0);
  parallel_for(static_cast<std::int64_t>(chains.size()), true, [&](std::int64_t r) {
    done[static_cast<std::size_t>(r)] = chains[static_cast<std::size_t>(r)]->advance(n);
  });
  return done;
}

}  // namespace onlinesgd
