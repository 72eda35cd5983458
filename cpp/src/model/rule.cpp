#include "onlinesgd/model/rule.hpp"

#include "onlinesgd/rng.hpp"

namespace onlinesgd::model {

Eigen::VectorXd feedback_vector(const ModelConfig& cfg) {
  if (!cfg.feedback_vector.empty())
    return Eigen::Map<const Eigen::VectorXd>(cfg.feedback_vector.data(), Eigen::Index(cfg.feedback_vector.size()));
  Eigen::VectorXd b(cfg.K);
  rng::normal_row(cfg.seed, rng::Stream::Feedback, 0, b.data(), static_cast<std::size_t>(cfg.K));
  return b;
}

}  // namespace onlinesgd::model
