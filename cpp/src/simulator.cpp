#include "onlinesgd/simulator.hpp"

#include <cmath>

#include "onlinesgd/parallel.hpp"
#include "onlinesgd/rng.hpp"

namespace onlinesgd {
namespace {

RowMatrix gaussian_rows(std::uint64_t seed, rng::Stream stream, int rows, std::int64_t N, double std) {
  RowMatrix W(rows, N);
  for (int r = 0; r < rows; ++r) rng::normal_row(seed, stream, static_cast<std::uint64_t>(r), W.row(r).data(), N);
  W *= std;
  return W;
}

}  // namespace

Simulator::Simulator(const ModelConfig& cfg) : cfg_(cfg) {
  teacher_.W = gaussian_rows(cfg.seed, rng::Stream::Teacher, cfg.M, cfg.N, 1.0);
  teacher_.v = Eigen::VectorXd::Constant(cfg.M, cfg.teacher_v);
  student_.W = gaussian_rows(cfg.seed, rng::Stream::Student, cfg.K, cfg.N, cfg.init_std);
  student_.v = Eigen::VectorXd::Constant(cfg.K, cfg.v_init);
  ws_.resize(cfg.batch, cfg.N, cfg.K, cfg.M);
}

void Simulator::set_student(const RowMatrix& W, const Eigen::VectorXd& v) {
  student_.W = W;
  student_.v = v;
  diverged_ = false;
}

void Simulator::set_teacher(const RowMatrix& B, const Eigen::VectorXd& v_star) {
  teacher_.W = B;
  teacher_.v = v_star;
}

void Simulator::draw_inputs(std::uint64_t step) {
  const std::int64_t blocks = (cfg_.N + rng::kBlock - 1) / rng::kBlock;
  const std::int64_t items = blocks * cfg_.batch;
  // Each (sample, block) pair is keyed by its own counter: any thread may draw it.
  parallel_for(items, items >= 32, [&](std::int64_t item) {
    const std::int64_t b = item / blocks, blk = item % blocks;
    const std::int64_t start = blk * rng::kBlock;
    const int count = static_cast<int>(std::min<std::int64_t>(rng::kBlock, cfg_.N - start));
    const std::uint64_t sample = step * static_cast<std::uint64_t>(cfg_.batch) + static_cast<std::uint64_t>(b);
    rng::normal_block(cfg_.seed, rng::Stream::Inputs, sample, static_cast<std::uint64_t>(blk),
                      ws_.X.row(b).data() + start, count);
  });
  for (int b = 0; b < cfg_.batch; ++b) {
    const std::uint64_t sample = step * static_cast<std::uint64_t>(cfg_.batch) + static_cast<std::uint64_t>(b);
    ws_.zeta(b) = cfg_.noise != 0.0 ? rng::scalar_normal(cfg_.seed, rng::Stream::Labels, sample) : 0.0;
  }
}

std::uint64_t Simulator::advance(std::uint64_t n) {
  if (diverged_) return 0;
  for (std::uint64_t i = 0; i < n; ++i) {
    draw_inputs(steps_);
    if (!sgd_step(student_, teacher_, student_.v, cfg_, ws_)) {
      diverged_ = true;
      return i;
    }
    ++steps_;
  }
  return n;
}

bool Simulator::step_on(const RowMatrix& X, const Eigen::VectorXd& zeta) {
  StepWorkspace ws;
  ws.resize(static_cast<int>(X.rows()), cfg_.N, cfg_.K, cfg_.M);
  ws.X = X;
  ws.zeta = zeta;
  const bool ok = sgd_step(student_, teacher_, student_.v, cfg_, ws);
  if (ok) ++steps_;
  else diverged_ = true;
  return ok;
}

Overlaps Simulator::overlaps() const {
  const double inv_n = 1.0 / static_cast<double>(cfg_.N);
  Overlaps o;
  o.Q = inv_n * (student_.W * student_.W.transpose());
  o.R = inv_n * (student_.W * teacher_.W.transpose());
  o.T = inv_n * (teacher_.W * teacher_.W.transpose());
  o.v = student_.v;
  o.v_star = teacher_.v;
  return o;
}

double Simulator::generalisation_error() const {
  return onlinesgd::generalisation_error(overlaps(), cfg_.g_student, cfg_.g_teacher);
}

}  // namespace onlinesgd
