#include "onlinesgd/model/hidden_manifold.hpp"

#include <stdexcept>

#include "onlinesgd/activation.hpp"

namespace onlinesgd {

ManifoldConstants manifold_constants(ManifoldF f) {
  switch (f) {
    case ManifoldF::Sign:  // mu1 = sqrt(2/pi), E f^2 = 1
      return {kSqrt2OverPi, 1.0 - 2.0 / kPi};
    case ManifoldF::Erf:  // mu1 = 1/sqrt(pi), E f^2 = 1/3
      return {1.0 / std::sqrt(kPi), 1.0 / 3.0 - 1.0 / kPi};
    case ManifoldF::Tanh: {  // E z tanh = E tanh' = 1 - E tanh^2 (Stein); mpmath, 30 digits
      constexpr double mu1 = 0.60570550960215882558;
      return {mu1, (1.0 - mu1) - mu1 * mu1};
    }
  }
  throw std::invalid_argument("unknown hidden-manifold f");
}

const char* manifold_f_name(ManifoldF f) {
  switch (f) {
    case ManifoldF::Sign:
      return "sign";
    case ManifoldF::Erf:
      return "erf";
    case ManifoldF::Tanh:
      return "tanh";
  }
  return "?";
}

ManifoldF manifold_f_from_name(const std::string& name) {
  for (ManifoldF f : {ManifoldF::Sign, ManifoldF::Erf, ManifoldF::Tanh})
    if (name == manifold_f_name(f)) return f;
  throw std::invalid_argument("hmm_f must be 'sign', 'erf' or 'tanh', got '" + name + "'");
}

}  // namespace onlinesgd
