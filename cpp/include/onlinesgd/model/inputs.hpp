#pragma once
/// Input families: the law of a sample's input vector x. Every engine reads a family through
/// these traits, so a new family is one enum value, one traits entry (inputs.cpp) and its source:
/// a generator in the fused kernel (kernel_body.hpp, `draw`) for i.i.d. components, or (for
/// structured inputs) rows written into the input buffers before the kernel's pass.
/// Declarations only: the per-target kernel units include this header (see kernel.hpp).
#include <string>

namespace onlinesgd {

/// Law of the input components.
enum class Inputs : int {
  Gaussian = 0,          ///< x_j ~ N(0, 1) i.i.d.
  Rademacher = 1,        ///< x_j = +-1 with probability 1/2 each
  HiddenManifold = 2,    ///< x = f(F^T c / sqrt(D)), c latent (model/hidden_manifold.hpp)
  ManifoldGaussian = 3,  ///< its Gaussian equivalent mu1 F^T c / sqrt(D) + mu* xi
  /// Rows given by the caller (the user's data, a Gaussian mixture's samples):
  /// Simulator::advance_rows steps on them; nothing is drawn. Not rotation invariant.
  Rows = 8,
};

struct InputTraits {
  const char* name;
  /// The law is invariant under rotations of the input space, so a run may draw its inputs in
  /// any orthonormal basis (the teacher frame, teacher_frame.hpp) and the overlap engine applies.
  bool rotation_invariant;
  /// Rough one-thread cost of one component in ns, in double and in float (the thread rule,
  /// fast_step.cpp; measured in bench/README.md).
  double draw_ns_double, draw_ns_float;
  /// Drawn from a latent vector that the teacher reads (hmm_simulator.hpp): not the fused kernel's.
  bool latent = false;
};

const InputTraits& input_traits(Inputs inputs);
Inputs inputs_from_name(const std::string& name);

}  // namespace onlinesgd
