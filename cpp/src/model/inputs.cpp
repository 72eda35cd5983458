#include "onlinesgd/model/inputs.hpp"

#include <stdexcept>

namespace onlinesgd {
namespace {
constexpr InputTraits kGaussian{"gaussian", true, 0.8, 0.45};
constexpr InputTraits kRademacher{"rademacher", false, 0.05, 0.05};
constexpr InputTraits kManifold{"hmm", false, 0.0, 0.0, true};
constexpr InputTraits kManifoldGaussian{"hmm_gaussian", false, 0.0, 0.0, true};
constexpr InputTraits kRows{"rows", false, 0.0, 0.0};
}  // namespace

const InputTraits& input_traits(Inputs inputs) {
  switch (inputs) {
    case Inputs::Gaussian:
      return kGaussian;
    case Inputs::Rademacher:
      return kRademacher;
    case Inputs::HiddenManifold:
      return kManifold;
    case Inputs::ManifoldGaussian:
      return kManifoldGaussian;
    case Inputs::Rows:
      return kRows;
  }
  throw std::invalid_argument("unknown input family");
}

Inputs inputs_from_name(const std::string& name) {
  for (Inputs i :
       {Inputs::Gaussian, Inputs::Rademacher, Inputs::HiddenManifold, Inputs::ManifoldGaussian, Inputs::Rows})
    if (name == input_traits(i).name) return i;
  throw std::invalid_argument("inputs must be 'gaussian', 'rademacher', 'hmm', 'hmm_gaussian' or 'rows', got '" + name +
                              "'");
}

}  // namespace onlinesgd
