#include "onlinesgd/hmm_simulator.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "onlinesgd/model/teachers.hpp"
#include "onlinesgd/parallel.hpp"
#include "onlinesgd/rng.hpp"
#include "onlinesgd/tile_product.hpp"

namespace onlinesgd {
namespace {

// Tiles of the input block: every sample of the block x one 1024-column block of the rng (so the
// Gaussian equivalent's xi of a tile row is one normal block), each a serial product (tile_product.hpp)
// whose bits do not depend on which thread runs it.
constexpr int kTileCols = rng::kBlock;
constexpr int kMinBlock = 256;

/// rows x n i.i.d. N(0, std^2), row r from counter r of `stream`.
RowMatrix gaussian_rows(std::uint64_t seed, rng::Stream stream, Eigen::Index rows, Eigen::Index n, double std) {
  RowMatrix A(rows, n);
  parallel_for(rows, true, [&](std::int64_t r) {
    rng::normal_row(seed, stream, static_cast<std::uint64_t>(r), A.row(r).data(), static_cast<std::size_t>(n));
    if (std != 1.0) A.row(r) *= std;
  });
  return A;
}

double apply_f(ManifoldF f, double u) {
  switch (f) {
    case ManifoldF::Sign:
      return static_cast<double>((u > 0.0) - (u < 0.0));
    case ManifoldF::Erf:
      return std::erf(u / kSqrt2);
    case ManifoldF::Tanh:
      return std::tanh(u);
  }
  return u;
}

}  // namespace

HmmSimulator::HmmSimulator(const ModelConfig& cfg)
    : cfg_(cfg),
      D_(cfg.latent_dim),
      S_(cfg.batch * ((kMinBlock + cfg.batch - 1) / cfg.batch)),
      rule_(cfg),
      fields_(static_cast<std::size_t>(cfg.K + cfg.M)),
      coef_(static_cast<std::size_t>(cfg.K) * cfg.batch),
      dv_(static_cast<std::size_t>(cfg.K)) {
  if (!input_traits(cfg.inputs).latent)
    throw std::invalid_argument("HmmSimulator needs inputs 'hmm' or 'hmm_gaussian'");
  if (D_ < 1) throw std::invalid_argument("latent_dim must be >= 1");
  if (cfg.tasks() != 1 || cfg.centred || cfg.temperature != 0.0 || cfg.feedback != Feedback::Backprop)
    throw std::invalid_argument("the hidden manifold model runs one teacher with backprop, without Langevin noise");
  F_ = gaussian_rows(cfg.seed, rng::Stream::Features, D_, cfg.N, 1.0);
  theta_ = gaussian_rows(cfg.seed, rng::Stream::Teacher, cfg.M, D_, 1.0);
  W_ = gaussian_rows(cfg.seed, rng::Stream::Student, cfg.K, cfg.N, cfg.init_std);
  v_ = Eigen::VectorXd::Constant(cfg.K, cfg.v_init);
  v_star_ = model::teacher_readout(cfg);
}

void HmmSimulator::set_student(const RowMatrix& W, const Eigen::VectorXd& v) {
  W_ = W;
  v_ = v;
  diverged_ = false;
}

void HmmSimulator::set_teacher(const RowMatrix& theta, const Eigen::VectorXd& v_star) {
  theta_ = theta;
  v_star_ = v_star;
  block_ = ~std::uint64_t{0};  // the cached teacher fields are stale
}

void HmmSimulator::fill_block(std::uint64_t b) const {
  if (block_ == b) return;
  const Eigen::Index N = cfg_.N, M = cfg_.M;
  const std::uint64_t first = b * static_cast<std::uint64_t>(S_);
  C_.resize(S_, D_);
  nu_.resize(S_, M);
  X_.resize(S_, N);
  const double inv_sqrt_d = 1.0 / std::sqrt(static_cast<double>(D_));
  parallel_for(S_, true, [&](std::int64_t i) {
    rng::normal_row(cfg_.seed, rng::Stream::Inputs, first + static_cast<std::uint64_t>(i), C_.row(i).data(),
                    static_cast<std::size_t>(D_));
    C_.row(i) *= inv_sqrt_d;
    for (Eigen::Index m = 0; m < M; ++m) nu_(i, m) = theta_.row(m).dot(C_.row(i));
  });
  const bool gaussian = cfg_.inputs == Inputs::ManifoldGaussian;
  const ManifoldConstants k = manifold_constants(cfg_.manifold_f);
  const double mu_star = std::sqrt(k.mu_star2);
  const std::int64_t col_tiles = (N + kTileCols - 1) / kTileCols;
  parallel_for(col_tiles, true, [&](std::int64_t tile) {
    const Eigen::Index r0 = 0, rows = S_, c0 = tile * kTileCols;
    const Eigen::Index cols = std::min<Eigen::Index>(kTileCols, N - c0);
    auto U = X_.block(r0, c0, rows, cols);
    hmm::tile_product(C_.row(r0).data(), C_.cols(), F_.data() + c0, F_.cols(), U.data(), X_.cols(),
                      static_cast<int>(rows), static_cast<int>(cols), D_);  // u = F^T c / sqrt(D)
    if (!gaussian) {
      U = U.unaryExpr([f = cfg_.manifold_f](double u) { return apply_f(f, u); });
      return;
    }
    Eigen::VectorXd xi(cols);
    for (Eigen::Index r = 0; r < rows; ++r) {
      rng::normal_block(cfg_.seed, rng::Stream::ManifoldNoise, first + static_cast<std::uint64_t>(r0 + r),
                        static_cast<std::uint64_t>(c0 / kTileCols), xi.data(), static_cast<int>(cols));
      U.row(r) = k.mu1 * U.row(r) + mu_star * xi.transpose();
    }
  });
  block_ = b;
}

bool HmmSimulator::step_rows(const double* X, std::int64_t ldx, const double* nu, std::int64_t ldnu,
                             const double* zeta) {
  const int K = cfg_.K, M = cfg_.M, B = cfg_.batch;
  const Eigen::Index N = cfg_.N;
  std::fill(dv_.begin(), dv_.end(), 0.0);
  for (int b = 0; b < B; ++b) {
    const Eigen::Map<const Eigen::RowVectorXd> x(X + b * ldx, N);
    for (int k = 0; k < K; ++k) fields_[k] = W_.row(k).dot(x) * rule_.inv_sqrt_n();
    for (int m = 0; m < M; ++m) fields_[K + m] = nu[b * ldnu + m];
    if (!rule_.sample(fields_.data(), zeta[b], v_.data(), v_star_.data(), nullptr, coef_.data() + b * K, dv_.data()))
      return false;
  }
  if (rule_.decay_w() != 1.0) W_ *= rule_.decay_w();
  for (int b = 0; b < B; ++b) {
    const Eigen::Map<const Eigen::RowVectorXd> x(X + b * ldx, N);
    for (int k = 0; k < K; ++k) W_.row(k) += coef_[b * K + k] * x;
  }
  rule_.apply_head(v_.data(), dv_.data());
  return true;
}

double HmmSimulator::label_noise(std::uint64_t s) const {
  if (cfg_.noise == 0.0) return 0.0;
  // the label stream of every engine: block s / 1024 of counter, value s mod 1024
  const std::uint64_t counter = s / rng::kBlock;
  if (zeta_block_ != counter) {
    zeta_.resize(rng::kBlock);
    rng::normal_block(cfg_.seed, rng::Stream::Labels, counter, 0, zeta_.data(), rng::kBlock);
    zeta_block_ = counter;
  }
  return zeta_[s % rng::kBlock];
}

std::uint64_t HmmSimulator::advance(std::uint64_t n) {
  if (diverged_) return 0;
  const auto B = static_cast<std::uint64_t>(cfg_.batch), S = static_cast<std::uint64_t>(S_);
  std::vector<double> zeta(B);
  for (std::uint64_t done = 0; done < n; ++done) {
    const std::uint64_t first = steps_ * B, b = first / S;
    fill_block(b);
    for (std::uint64_t i = 0; i < B; ++i) zeta[i] = label_noise(first + i);
    const auto row = static_cast<Eigen::Index>(first - b * S);
    if (!step_rows(X_.row(row).data(), X_.cols(), nu_.row(row).data(), nu_.cols(), zeta.data())) {
      diverged_ = true;
      return done;
    }
    ++steps_;
  }
  return n;
}

void HmmSimulator::samples(std::uint64_t first, int count, RowMatrix& X, RowMatrix& nu, Eigen::VectorXd& zeta) const {
  X.resize(count, cfg_.N);
  nu.resize(count, cfg_.M);
  zeta.resize(count);
  for (int i = 0; i < count; ++i) {
    const std::uint64_t s = first + static_cast<std::uint64_t>(i), b = s / static_cast<std::uint64_t>(S_);
    fill_block(b);
    const auto row = static_cast<Eigen::Index>(s - b * static_cast<std::uint64_t>(S_));
    X.row(i) = X_.row(row);
    nu.row(i) = nu_.row(row);
    zeta(i) = cfg_.noise == 0.0 ? 0.0 : label_noise(s);
  }
}

bool HmmSimulator::step_on(const RowMatrix& X, const RowMatrix& nu, const Eigen::VectorXd& zeta) {
  if (X.rows() != cfg_.batch || X.cols() != cfg_.N || nu.rows() != cfg_.batch || nu.cols() != cfg_.M ||
      zeta.size() != cfg_.batch)
    throw std::invalid_argument("step_on: X must be batch x N, nu batch x M and zeta of length batch");
  if (!step_rows(X.data(), X.cols(), nu.data(), nu.cols(), zeta.data())) return false;
  ++steps_;
  return true;
}

Overlaps HmmSimulator::overlaps() const {
  const int K = cfg_.K, M = cfg_.M;
  const ManifoldConstants c = manifold_constants(cfg_.manifold_f);
  const double n = static_cast<double>(cfg_.N), d = static_cast<double>(D_);
  Eigen::MatrixXd s(D_, K);  // s = F W^T / sqrt(N), one row of F per work item
  parallel_for(D_, true, [&](std::int64_t r) {
    for (int k = 0; k < K; ++k) s(r, k) = F_.row(r).dot(W_.row(k)) / std::sqrt(n);
  });
  Overlaps o;
  o.Q.resize(K, K);
  o.R.resize(K, M);
  o.T.resize(M, M);
  for (int k = 0; k < K; ++k) {
    for (int l = 0; l < K; ++l)
      o.Q(k, l) = c.mu_star2 * W_.row(k).dot(W_.row(l)) / n + c.mu1 * c.mu1 * s.col(k).dot(s.col(l)) / d;
    for (int m = 0; m < M; ++m) o.R(k, m) = c.mu1 * s.col(k).dot(theta_.row(m).transpose()) / d;
  }
  for (int m = 0; m < M; ++m)
    for (int p = 0; p < M; ++p) o.T(m, p) = theta_.row(m).dot(theta_.row(p)) / d;
  o.v = v_;
  o.v_star = v_star_;
  return o;
}

double HmmSimulator::generalisation_error() const { return onlinesgd::generalisation_error(overlaps(), cfg_); }

std::vector<std::uint64_t> advance_manifolds(const std::vector<HmmSimulator*>& sims, std::uint64_t n) {
  std::vector<std::uint64_t> done;
  done.reserve(sims.size());
  for (HmmSimulator* sim : sims) done.push_back(sim->advance(n));
  return done;
}

}  // namespace onlinesgd
