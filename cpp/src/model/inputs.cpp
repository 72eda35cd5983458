#include "onlinesgd/model/inputs.hpp"

#include <stdexcept>

namespace onlinesgd {
namespace {
constexpr InputTraits kGaussian{"gaussian", true, 0.8, 0.45};
constexpr InputTraits kRademacher{"rademacher", false, 0.05, 0.05};
}  // namespace

const InputTraits& input_traits(Inputs inputs) {
  switch (inputs) {
    case Inputs::Gaussian:
      return kGaussian;
    case Inputs::Rademacher:
      return kRademacher;
  }
  throw std::invalid_argument("unknown input family");
}

Inputs inputs_from_name(const std::string& name) {
  for (Inputs i : {Inputs::Gaussian, Inputs::Rademacher})
    if (name == input_traits(i).name) return i;
  throw std::invalid_argument("inputs must be 'gaussian' or 'rademacher', got '" + name + "'");
}

}  // namespace onlinesgd
