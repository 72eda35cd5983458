#pragma once
/// The hidden manifold model's simulator (docs/hidden_manifold.md, THEORY-DATA 1.1): each sample
/// draws a latent c ~ N(0, I_D); the input is x = f(F^T c / sqrt(D)) (or its Gaussian equivalent
/// mu1 F^T c / sqrt(D) + mu* xi) and the teacher's fields are nu = Theta c / sqrt(D). The student
/// steps with the same per-sample rule as every engine (model/rule.hpp). Inputs are formed a block
/// of samples at a time: the block's latents C (S x D) times F as one matrix product, split into
/// column tiles, each computed by tile_product.hpp (no fused multiply-adds, a fixed order of
/// operations), so the bits do not depend on the thread count nor on the instruction set.
/// Storage in double; one teacher; no Langevin noise (refused by the Python layer).
#include <cstdint>
#include <vector>

#include <Eigen/Dense>

#include "onlinesgd/model/config.hpp"
#include "onlinesgd/model/rule.hpp"
#include "onlinesgd/network.hpp"
#include "onlinesgd/overlaps.hpp"

namespace onlinesgd {

class HmmSimulator {
 public:
  /// Draws F (D x N, rng Features stream, row d = counter d), the teacher Theta (M x D, Teacher
  /// stream) and the student (K x N, Student stream, std init_std) from the config's seed.
  explicit HmmSimulator(const ModelConfig& cfg);

  const ModelConfig& config() const { return cfg_; }
  std::int64_t latent_dim() const { return D_; }
  const RowMatrix& features() const { return F_; }   ///< F, D x N
  const RowMatrix& theta() const { return theta_; }  ///< the teacher's first layer, M x D
  const RowMatrix& W() const { return W_; }          ///< the student's first layer, K x N
  const Eigen::VectorXd& v() const { return v_; }
  /// One head (one teacher): the head in use and every head, named as the other engines name them.
  const Eigen::VectorXd& active_head() const { return v_; }
  const Eigen::VectorXd& heads() const { return v_; }
  const Eigen::VectorXd& v_star() const { return v_star_; }
  void set_student(const RowMatrix& W, const Eigen::VectorXd& v);
  void set_teacher(const RowMatrix& theta, const Eigen::VectorXd& v_star);

  std::uint64_t steps() const { return steps_; }
  void set_steps(std::uint64_t steps) { steps_ = steps; }
  double time() const { return static_cast<double>(steps_) * cfg_.batch / static_cast<double>(cfg_.N); }
  bool diverged() const { return diverged_; }

  /// Up to n steps; fewer when a step would diverge (then diverged() is true).
  std::uint64_t advance(std::uint64_t n);

  /// Inputs X (count x N), teacher fields nu (count x M) and standard-normal label noises zeta
  /// (count; 0 without label noise) of samples first .. first + count - 1, as advance() sees them.
  void samples(std::uint64_t first, int count, RowMatrix& X, RowMatrix& nu, Eigen::VectorXd& zeta) const;
  /// One step on given inputs (B x N), teacher fields (B x M) and standard-normal label noises (B).
  /// Does not touch the random streams; counts as a step. False (nothing changed) on divergence.
  bool step_on(const RowMatrix& X, const RowMatrix& nu, const Eigen::VectorXd& zeta);

  /// Q = mu*^2 W W^T / N + mu1^2 s^T s / D, R = mu1 s^T Theta^T / D, T = Theta Theta^T / D with
  /// s = F W^T / sqrt(N) (THEORY-DATA 1.2: the covariance of (lambda, nu) to leading order).
  Overlaps overlaps() const;
  double generalisation_error() const;

 private:
  /// Fills X_, nu_ with block b (samples b S .. b S + S - 1).
  void fill_block(std::uint64_t b) const;
  /// One step on B rows of inputs and teacher fields with B standard-normal label noises.
  bool step_rows(const double* X, std::int64_t ldx, const double* nu, std::int64_t ldnu, const double* zeta);
  /// The standard-normal label noise of sample s (0 without label noise).
  double label_noise(std::uint64_t s) const;

  ModelConfig cfg_;
  std::int64_t D_;
  int S_;  // samples per block: a whole number of steps, >= 256
  model::Rule rule_;
  RowMatrix F_, theta_, W_;
  Eigen::VectorXd v_, v_star_;
  std::uint64_t steps_ = 0;
  bool diverged_ = false;
  // block buffers (mutable: a pure function of the block index, cached)
  mutable RowMatrix X_, nu_, C_;
  mutable std::uint64_t block_ = ~std::uint64_t{0};
  mutable std::vector<double> zeta_;
  mutable std::uint64_t zeta_block_ = ~std::uint64_t{0};
  // per-step workspace
  std::vector<double> fields_, coef_, dv_;
};

/// Advances every simulator by n steps, one after another (each threaded over its product's column tiles).
std::vector<std::uint64_t> advance_manifolds(const std::vector<HmmSimulator*>& sims, std::uint64_t n);

}  // namespace onlinesgd
