#pragma once
/// The hidden manifold model (Goldt, Mezard, Krzakala, Zdeborova, PRX 2020; docs/hidden_manifold.md):
/// inputs x = f(F^T c / sqrt(D)) with a latent c ~ N(0, I_D) and a fixed D x N feature matrix F,
/// labels from the teacher acting on c. Its Gaussian equivalent x = mu1 F^T c / sqrt(D) + mu* xi
/// has the same first two moments and the same ODE (Goldt et al. 2021). The constants of f with
/// z ~ N(0, 1): mu0 = E f(z), mu1 = E z f(z), mu*^2 = E f^2 - mu0^2 - mu1^2.
#include <string>

namespace onlinesgd {

/// The pointwise generator f. Only odd ones: an f with mu0 != 0 breaks the O(1) scaling along the
/// all-ones direction, and a centred ReLU still has mu2 = E f (z^2 - 1) != 0, an O(1) outlier of the
/// input covariance that the per-mode ODE of THEORY-DATA 1.4 (Omega = mu1^2 F^T F / D + mu*^2 I) lacks.
enum class ManifoldF : int {
  Sign = 0,  ///< sign(u)
  Erf = 1,   ///< erf(u / sqrt 2), the package's erf
  Tanh = 2,  ///< tanh(u)
};

struct ManifoldConstants {
  double mu1;       ///< E z f(z)
  double mu_star2;  ///< E f^2 - mu1^2 (mu0 = 0)
};

ManifoldConstants manifold_constants(ManifoldF f);
const char* manifold_f_name(ManifoldF f);
ManifoldF manifold_f_from_name(const std::string& name);

}  // namespace onlinesgd
