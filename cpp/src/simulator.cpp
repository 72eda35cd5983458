#include "onlinesgd/simulator.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

#include "onlinesgd/model/phase_rule.hpp"
#include "onlinesgd/model/rule.hpp"
#include "onlinesgd/model/teachers.hpp"
#include "onlinesgd/parallel.hpp"
#include "onlinesgd/rng.hpp"

namespace onlinesgd {
namespace {

/// Rows i.i.d. N(0, std^2) from double normals in the first N of ld columns (the rest zero); in
/// float the rows are rounded one at a time, so a float32 run never holds a double copy.
template <class Matrix>
Matrix gaussian_rows(std::uint64_t seed, rng::Stream stream, int rows, std::int64_t N, std::int64_t ld, double std) {
  Matrix W = Matrix::Zero(rows, ld);
  Eigen::VectorXd row(N);
  for (int r = 0; r < rows; ++r) {
    rng::normal_row(seed, stream, static_cast<std::uint64_t>(r), row.data(), N);
    W.row(r).head(N) = (std * row).cast<typename Matrix::Scalar>().transpose();
  }
  return W;
}

/// A B^T / N over the first N columns in double, widening float rows a chunk of columns at a
/// time (no N-sized temporary).
Eigen::MatrixXd gram(const RowMatrixF& A, const RowMatrixF& B, Eigen::Index N) {
  constexpr Eigen::Index kChunk = 1024;
  Eigen::MatrixXd G = Eigen::MatrixXd::Zero(A.rows(), B.rows());
  for (Eigen::Index c = 0; c < N; c += kChunk) {
    const Eigen::Index w = std::min(kChunk, N - c);
    const RowMatrix a = A.middleCols(c, w).cast<double>(), b = B.middleCols(c, w).cast<double>();
    G.noalias() += a * b.transpose();
  }
  return G / static_cast<double>(N);
}

/// The M teacher rows with prescribed overlaps (model/teachers.hpp) in ld columns.
template <class Matrix>
Matrix overlap_rows(const ModelConfig& cfg, std::int64_t ld) {
  Matrix B = Matrix::Zero(cfg.M, ld);
  B.leftCols(cfg.N) = model::overlap_teacher_rows(cfg).cast<typename Matrix::Scalar>();
  return B;
}

/// The teachers' first layers: i.i.d. rows, or rows with the prescribed overlaps.
template <class Matrix>
Matrix teacher_rows(const ModelConfig& cfg, std::int64_t ld) {
  if (!cfg.teacher_overlap.empty()) return overlap_rows<Matrix>(cfg, ld);
  return gaussian_rows<Matrix>(cfg.seed, rng::Stream::Teacher, cfg.M, cfg.N, ld, 1.0);
}

/// N rounded up to whole 64-byte lines of Real.
template <class Real>
std::int64_t padded(std::int64_t N) {
  constexpr std::int64_t line = 64 / sizeof(Real);
  return (N + line - 1) / line * line;
}

}  // namespace

Simulator::Simulator(const ModelConfig& cfg)
    : cfg_(cfg), ld_(cfg.precision == Precision::Float32 ? padded<float>(cfg.N) : padded<double>(cfg.N)) {
  if (input_traits(cfg.inputs).latent)
    throw std::invalid_argument(std::string("inputs '") + input_traits(cfg.inputs).name + "' run on HmmSimulator");
  const int M = cfg.teacher_rows();
  teacher_.v.resize(M);
  teacher_.v.head(cfg.M) = model::teacher_readout(cfg);
  student_.v = Eigen::VectorXd::Constant(cfg.K * cfg.heads(), cfg.v_init);
  teacher_.v.tail(M - cfg.M).setConstant(cfg.v_init);  // the centring rows' readout: the initial head
  if (is_float()) {
    Bf_ = teacher_rows<RowMatrixF>(cfg, ld_);
    Wf_ = gaussian_rows<RowMatrixF>(cfg.seed, rng::Stream::Student, cfg.K, cfg.N, ld_, cfg.init_std);
    if (cfg.centred) Bf_ = (RowMatrixF(M, ld_) << Bf_, Wf_).finished();
    fast_f_.resize(cfg);
  } else {
    teacher_.W = teacher_rows<RowMatrix>(cfg, ld_);
    student_.W = gaussian_rows<RowMatrix>(cfg.seed, rng::Stream::Student, cfg.K, cfg.N, ld_, cfg.init_std);
    if (cfg.centred) teacher_.W = (RowMatrix(M, ld_) << teacher_.W, student_.W).finished();
    fast_d_.resize(cfg);
  }
  if (cfg.feedback == Feedback::Fixed) feedback_ = model::feedback_vector(cfg);
  if (uses_teacher_frame(cfg)) {
    frame_ = TeacherFrame(teacher().W);
    if (is_float())
      frame_.rows_to_frame(Wf_);
    else
      frame_.rows_to_frame(student_.W);
  }
}

TwoLayerNet Simulator::student() const {
  TwoLayerNet s{stored_W(), student_.v};
  frame_.rows_from_frame(s.W);
  return s;
}

TwoLayerNet Simulator::teacher() const {
  if (!is_float()) return TwoLayerNet{teacher_.W.leftCols(cfg_.N), teacher_.v};
  return TwoLayerNet{Bf_.leftCols(cfg_.N).cast<double>(), teacher_.v};
}

RowMatrix Simulator::stored_W() const {
  if (is_float()) return Wf_.leftCols(cfg_.N).cast<double>();
  return student_.W.leftCols(cfg_.N);
}

void Simulator::set_stored_W(const RowMatrix& W) {
  if (is_float())
    Wf_.leftCols(cfg_.N) = W.cast<float>();
  else
    student_.W.leftCols(cfg_.N) = W;
  diverged_ = false;
  carry_.clear();
}

template <class Matrix>
void Simulator::store_student(Matrix W) {
  frame_.rows_to_frame(W);
  if (is_float())
    Wf_.leftCols(cfg_.N) = W.template cast<float>();
  else
    student_.W.leftCols(cfg_.N) = W.template cast<double>();
}

void Simulator::set_student(const RowMatrix& W, const Eigen::VectorXd& v) {
  store_student(W);
  student_.v = v;
  diverged_ = false;
  carry_.clear();
}

void Simulator::set_teacher(const RowMatrix& B, const Eigen::VectorXd& v_star) {
  const RowMatrix W = student().W;  // in the input basis, before the frame changes
  if (is_float())
    Bf_.leftCols(cfg_.N) = B.cast<float>();
  else
    teacher_.W.leftCols(cfg_.N) = B;
  teacher_.v = v_star;
  carry_.clear();
  if (uses_teacher_frame(cfg_)) {
    frame_ = TeacherFrame(teacher().W);
    store_student(W);
  }
}

RowMatrix Simulator::weight_noise(std::uint64_t step) const {
  const std::int64_t blocks = (cfg_.N + kernel::kBlock - 1) / kernel::kBlock;
  RowMatrix xi(cfg_.K, cfg_.N);
  const kernel::Table& kt = kernel::active();
  Eigen::VectorXf xf(kernel::kBlock);
  for (int k = 0; k < cfg_.K; ++k)
    for (std::int64_t b = 0; b < blocks; ++b) {
      const auto c0 = b * kernel::kBlock;
      const int count = static_cast<int>(std::min<std::int64_t>(kernel::kBlock, cfg_.N - c0));
      const std::uint64_t key = rng::weight_noise_key(cfg_.seed, step, k, b);
      if (!is_float()) {
        kt.normal_d(key, xi.row(k).data() + c0, count);
      } else {
        kt.normal_f(key, xf.data(), count);
        xi.row(k).segment(c0, count) = xf.head(count).cast<double>().transpose();
      }
    }
  frame_.rows_from_frame(xi);  // drawn in the frame, like the inputs
  return xi;
}

Eigen::VectorXd Simulator::input(std::uint64_t sample) const {
  if (cfg_.inputs == Inputs::Rows) throw std::invalid_argument("inputs 'rows' are given, not drawn");
  Eigen::VectorXd x(cfg_.N);
  if (is_float()) {
    Eigen::VectorXf xf(cfg_.N);
    rng::input_row(cfg_.seed, sample, cfg_.inputs, xf.data(), static_cast<std::size_t>(cfg_.N));
    x = xf.cast<double>();
  } else {
    rng::input_row(cfg_.seed, sample, cfg_.inputs, x.data(), static_cast<std::size_t>(cfg_.N));
  }
  if (in_teacher_frame()) frame_.from_frame(x.data());  // x = O x', drawn in the frame
  return x;
}

std::uint64_t Simulator::advance(std::uint64_t n, int threads) {
  if (cfg_.inputs == Inputs::Rows) throw std::invalid_argument("inputs 'rows' are given: step with advance_rows");
  if (diverged_) return 0;
  const Eigen::MatrixXd* L = in_teacher_frame() ? &frame_.L() : nullptr;
  std::uint64_t done = 0;
  while (done < n) {  // one engine call per phase (a single one without switches)
    const int s = phase();
    const bool last = s + 1 == model::phases(cfg_);
    const std::uint64_t chunk = last ? n - done : std::min(n - done, model::first_step(cfg_, s + 1) - steps_);
    const model::PhaseRule rule(cfg_, s);
    const std::uint64_t did =
        is_float() ? fast_f_.advance(cfg_, rule, Wf_.data(), ld_, Bf_.data(), ld_, student_.v, teacher_.v, steps_,
                                     chunk, carry_, threads, L, fixed_feedback())
                   : fast_d_.advance(cfg_, rule, student_.W.data(), ld_, teacher_.W.data(), ld_, student_.v, teacher_.v,
                                     steps_, chunk, carry_, threads, L, fixed_feedback());
    steps_ += did;
    done += did;
    if (did > 0) after_steps();
    if (did < chunk) {
      diverged_ = true;
      break;
    }
  }
  return done;
}

void Simulator::after_steps() {
  const int s = phase();
  if (s > 0 && steps_ == model::first_step(cfg_, s)) model::switch_heads(cfg_, s, student_.v.data());
}

Eigen::VectorXd Simulator::active_head() const {
  const int h = cfg_.head_of(model::phase(cfg_, phase()).main_task);
  return student_.v.segment(static_cast<Eigen::Index>(h) * cfg_.K, cfg_.K);
}

bool Simulator::step_on(const RowMatrix& X, const Eigen::VectorXd& zeta, const RowMatrix* xi) {
  StepWorkspace ws;
  ws.resize(static_cast<int>(X.rows()), cfg_.N, cfg_.K, cfg_.teacher_rows());
  ws.X = X;
  ws.zeta = zeta;
  if (cfg_.temperature != 0.0) ws.xi = xi ? *xi : weight_noise(steps_);
  // on copies in the input basis (unpadded, double), then stored again
  TwoLayerNet s = student(), t = teacher();
  const model::PhaseRule rule(cfg_, phase());
  const bool ok = sgd_step(s, t, fixed_feedback(), rule, steps_ * static_cast<std::uint64_t>(cfg_.batch), ws);
  if (ok) {
    store_student(s.W);
    student_.v = s.v;
    carry_.clear();
  }
  if (ok) {
    ++steps_;
    after_steps();
  } else {
    diverged_ = true;
  }
  return ok;
}

Overlaps Simulator::overlaps() const {
  Overlaps o;
  const double inv_n = 1.0 / static_cast<double>(cfg_.N);
  // Q is the same in any basis; in the teacher frame W B^T = W' (B O)^T = W'[:, :M] L^T.
  if (is_float()) {
    o.Q = gram(Wf_, Wf_, cfg_.N);
    o.T = gram(Bf_, Bf_, cfg_.N);
    if (!in_teacher_frame())
      o.R = gram(Wf_, Bf_, cfg_.N);
    else
      o.R = inv_n * (Wf_.leftCols(frame_.L().rows()).cast<double>() * frame_.L().transpose());
  } else {
    const auto W = student_.W.leftCols(cfg_.N);
    const auto B = teacher_.W.leftCols(cfg_.N);
    o.Q = inv_n * (W * W.transpose());
    o.T = inv_n * (B * B.transpose());
    if (!in_teacher_frame())
      o.R = inv_n * (W * B.transpose());
    else
      o.R = inv_n * (student_.W.leftCols(frame_.L().rows()) * frame_.L().transpose());
  }
  o.v = student_.v;
  o.v_star = teacher_.v;
  return o;
}

double Simulator::generalisation_error() const { return training_error(overlaps(), cfg_, model::phase(cfg_, phase())); }

std::vector<double> Simulator::task_errors() const { return onlinesgd::task_errors(overlaps(), cfg_); }

}  // namespace onlinesgd

namespace onlinesgd {

std::vector<std::uint64_t> advance_replicas(const std::vector<Simulator*>& sims, std::uint64_t n) {
  std::vector<std::uint64_t> done(sims.size(), 0);
  if (sims.empty()) return done;
  const int threads = max_threads();
  if (replicas_in_parallel(sims.front()->config(), sims.size(), threads)) {
    parallel_for(static_cast<std::int64_t>(sims.size()), true,
                 [&](std::int64_t r) { done[r] = sims[r]->advance(n, 1); });
  } else {
    for (std::size_t r = 0; r < sims.size(); ++r) done[r] = sims[r]->advance(n);
  }
  return done;
}

}  // namespace onlinesgd
