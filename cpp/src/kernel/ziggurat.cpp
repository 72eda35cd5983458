#include "ziggurat.hpp"

#include <cmath>

namespace onlinesgd::kernel {
namespace {

constexpr int kN = ZigTables::kLayers;

double pdf(double x) { return std::exp(-0.5 * x * x); }
double area(double r) { return r * pdf(r) + std::sqrt(std::acos(-1.0) / 2) * std::erfc(r / std::sqrt(2.0)); }

/// Builds x[1..kN-1] from r; returns v / x[kN-1] + f(x[kN-1]) - 1 (0 when the top layer has area
/// v; positive when r is too small and the layers reach the top early).
double residual(double r, double* x) {
  const double v = area(r);
  x[1] = r;
  for (int i = 1; i < kN - 1; ++i) {
    const double a = v / x[i] + pdf(x[i]);
    if (!(a < 1.0)) return 1.0;
    x[i + 1] = std::sqrt(-2.0 * std::log(a));
  }
  return v / x[kN - 1] + pdf(x[kN - 1]) - 1.0;
}

ZigTables build() {
  ZigTables t{};
  double lo = 3.0, hi = 5.0;  // residual(lo) > 0 > residual(hi)
  for (int it = 0; it < 200; ++it) {
    const double mid = 0.5 * (lo + hi);
    if (mid <= lo || mid >= hi) break;
    (residual(mid, t.x) > 0 ? lo : hi) = mid;
  }
  residual(hi, t.x);
  t.r = hi;
  t.x[0] = area(hi) / pdf(hi);
  t.x[kN] = 0.0;
  for (int i = 0; i <= kN; ++i) t.f[i] = i == kN ? 1.0 : pdf(t.x[i]);
  for (int i = 0; i < kN; ++i) t.x_scaled[i] = t.x[i] * 0x1p-52;
  for (int i = 1; i < kN; ++i) {
    const double a = t.x[i + 1], b = t.x[i], dx = b - a;
    t.slope[i] = (t.f[i] - t.f[i + 1]) / dx;
    // f'' = (x^2 - 1) f: on [a, b] |f''| <= (b^2 - 1) f(a) when a >= 1, (1 - a^2) f(a) when b <= 1
    const double m = a >= 1.0 ? (b * b - 1.0) * pdf(a) : b <= 1.0 ? (1.0 - a * a) * pdf(a) : 0.0;
    t.kind[i] = a >= 1.0 ? 1 : b <= 1.0 ? -1 : 0;
    t.e[i] = dx * dx / 8.0 * m * 1.01 + 1e-12;
  }
  for (double& q : t.q_group) q = 1.0;
  for (int i = 0; i < kN; ++i) {
    double& q = t.q_group[zig_group(i)];
    q = std::fmin(q, t.x[i + 1] / t.x[i] * (1.0 - 0x1p-40));
  }
  return t;
}

}  // namespace

int zig_group(int layer) {
  static_assert(ZigTables::kBits == 11, "12 leading-zero counts per half must fit 16 entries");
  const bool upper = layer >= kN / 2;
  const unsigned long long folded = upper ? kN - 1 - layer : layer;
  const int lz = folded ? __builtin_clzll(folded) : 64;  // 53 .. 64: distinct modulo 16
  return (upper ? 16 : 0) + (lz & 15);
}

const ZigTables& zig_tables() {
  static const ZigTables t = build();
  return t;
}

}  // namespace onlinesgd::kernel
