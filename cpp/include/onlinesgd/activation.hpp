#pragma once
/// Activation functions g, g', g'' shared by the simulator and the ODE integrals.
/// Conventions (docs/theory.md §1): erf means g(x) = erf(x / sqrt 2) (Saad & Solla 1995).
#include <cmath>
#include <stdexcept>
#include <string>

namespace onlinesgd {

enum class Activation { Erf, Relu, Linear, Sigmoid, Tanh };

inline constexpr double kSqrt2 = 1.4142135623730950488;
inline constexpr double kPi = 3.14159265358979323846;
inline constexpr double kSqrt2OverPi = 0.79788456080286535588;  // sqrt(2/pi)

/// g(x)
inline double act_g(Activation a, double x) {
  switch (a) {
    case Activation::Erf:
      return std::erf(x / kSqrt2);
    case Activation::Relu:
      return x > 0.0 ? x : 0.0;
    case Activation::Linear:
      return x;
    case Activation::Sigmoid:
      return 1.0 / (1.0 + std::exp(-x));
    case Activation::Tanh:
      return std::tanh(x);
  }
  return 0.0;
}

/// g'(x); for ReLU the step function th(x) with th(0) = 0.
inline double act_dg(Activation a, double x) {
  switch (a) {
    case Activation::Erf:
      return kSqrt2OverPi * std::exp(-0.5 * x * x);
    case Activation::Relu:
      return x > 0.0 ? 1.0 : 0.0;
    case Activation::Linear:
      return 1.0;
    case Activation::Sigmoid: {
      const double s = 1.0 / (1.0 + std::exp(-x));
      return s * (1.0 - s);
    }
    case Activation::Tanh: {
      const double t = std::tanh(x);
      return 1.0 - t * t;
    }
  }
  return 0.0;
}

/// g''(x), used by the integration-by-parts form of I3 for smooth activations.
/// ReLU has a delta function here and is never evaluated through this path.
inline double act_d2g(Activation a, double x) {
  switch (a) {
    case Activation::Erf:
      return -x * kSqrt2OverPi * std::exp(-0.5 * x * x);
    case Activation::Relu:
      return 0.0;
    case Activation::Linear:
      return 0.0;
    case Activation::Sigmoid: {
      const double s = 1.0 / (1.0 + std::exp(-x));
      return s * (1.0 - s) * (1.0 - 2.0 * s);
    }
    case Activation::Tanh: {
      const double t = std::tanh(x);
      return -2.0 * t * (1.0 - t * t);
    }
  }
  return 0.0;
}

inline const char* activation_name(Activation a) {
  switch (a) {
    case Activation::Erf:
      return "erf";
    case Activation::Relu:
      return "relu";
    case Activation::Linear:
      return "linear";
    case Activation::Sigmoid:
      return "sigmoid";
    case Activation::Tanh:
      return "tanh";
  }
  return "?";
}

inline Activation activation_from_name(const std::string& name) {
  for (Activation a : {Activation::Erf, Activation::Relu, Activation::Linear, Activation::Sigmoid, Activation::Tanh})
    if (name == activation_name(a)) return a;
  throw std::invalid_argument("unknown activation '" + name + "'");
}

}  // namespace onlinesgd
