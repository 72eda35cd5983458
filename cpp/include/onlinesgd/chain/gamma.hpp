#pragma once
/// Exact gamma and chi-square draws for the overlap engine (docs/engines.md): Marsaglia & Tsang
/// (2000), "A simple method for generating gamma variables", ACM TOMS 26, 363. No normal
/// approximation at any shape: the chain draws chi-square(N - d) with N up to 1e12 and more.
#include <cmath>
#include <cstdint>

#include "onlinesgd/rng.hpp"

namespace onlinesgd::chain {

/// A counter-based sequence of 64-bit words: splitmix64 from a key (rng::block_key), so a
/// step's words are a pure function of (seed, stream, step) like every other stream.
struct Words {
  std::uint64_t state;
  std::uint64_t next() { return rng::splitmix64(state); }
  /// Uniform in (0, 1] (53 bits; never 0, so its log is finite).
  double uniform() { return 1.0 - static_cast<double>(next() >> 11) * 0x1p-53; }
  /// A standard normal by Marsaglia's polar method (only for the gamma sampler's rare retries).
  double normal() {
    for (;;) {
      const double a = 2.0 * uniform() - 1.0, b = 2.0 * uniform() - 1.0, s = a * a + b * b;
      if (s < 1.0 && s > 0.0) return a * std::sqrt(-2.0 * std::log(s) / s);
    }
  }
};

/// log(1 + y) - y without cancellation for small |y| (a series there: at shape 5e11 the sampler's
/// y = x / sqrt(9 d) is ~1e-6, and d times this difference must stay exact to a few ulps).
inline double log1p_minus(double y) {
  if (std::abs(y) < 1e-2) {
    double term = y, sum = 0.0;
    for (int k = 2; k <= 9; ++k) {  // y^10 / 10 < 1e-20 |y|^2 / 2: below rounding
      term *= -y;
      sum += term / k;
    }
    return sum;
  }
  return std::log1p(y) - y;
}

/// Gamma(shape, 1) for a fixed shape > 0: the constants are computed once (the chain draws
/// chi-square with the same degrees of freedom at every step).
class GammaSampler {
 public:
  GammaSampler() = default;
  explicit GammaSampler(double shape)
      : shape_(shape),
        boost_(shape < 1.0),
        d_((shape < 1.0 ? shape + 1.0 : shape) - 1.0 / 3.0),
        c_(1.0 / std::sqrt(9.0 * d_)) {}

  double shape() const { return shape_; }

  /// One draw. `x` is a standard normal for the first attempt (the caller's, from its normal
  /// stream); the uniforms and any later attempts come from `words`. Shapes below 1 use
  /// Gamma(a) = Gamma(a + 1) U^(1/a) (Marsaglia & Tsang, section 6).
  double draw(double x, Words& words) const {
    double g;
    for (;;) {
      const double y = c_ * x;
      if (y > -1.0) {
        const double v = (1.0 + y) * (1.0 + y) * (1.0 + y), u = words.uniform(), x2 = x * x;
        if (u < 1.0 - 0.0331 * x2 * x2) {  // the squeeze accepts ~98 % without a log
          g = d_ * v;
          break;
        }
        // log u < x^2/2 + d (1 - v + log v), with 1 - v + log v = 3 (log1p(y) - y) - 3 y^2 - y^3
        if (std::log(u) < 0.5 * x2 + d_ * (3.0 * log1p_minus(y) - y * y * (3.0 + y))) {
          g = d_ * v;
          break;
        }
      }
      x = words.normal();
    }
    return boost_ ? g * std::exp(std::log(words.uniform()) / shape_) : g;
  }

 private:
  double shape_ = 1.0;
  bool boost_ = false;
  double d_ = 2.0 / 3.0, c_ = 1.0 / std::sqrt(6.0);
};

/// chi-square with k > 0 degrees of freedom is 2 Gamma(k / 2, 1).
inline GammaSampler chi_square_sampler(double k) { return GammaSampler(0.5 * k); }

}  // namespace onlinesgd::chain
