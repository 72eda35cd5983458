#pragma once
// Ziggurat tables (Marsaglia & Tsang 2000, with 2048 layers) for the standard normal, shared by every
// kernel target. Computed once, in double, by ziggurat.cpp (compiled with the default flags), so
// every target reads the very same numbers.
//
// Half-density f(x) = exp(-x^2 / 2). Layers of equal area v: x[0] = v / f(r) (base strip, whose
// tail beyond r is sampled exactly), x[1] = r, x[i + 1] = f^-1(f(x[i]) + v / x[i]), x[2048] = 0.
// Layer i is the rectangle [0, x[i]) x [f(x[i]), f(x[i + 1])) (layer 0: [0, x[0]) x [0, f(r))
// plus the tail). A draw picks a layer i and u in [0, 1), sets z = u x[i] and accepts when
// z < x[i + 1]; otherwise layer 0 goes to the tail and the others to the wedge test.
namespace onlinesgd::kernel {

struct ZigTables {
  static constexpr int kBits = 11;  ///< layer index bits of a draw
  static constexpr int kLayers = 1 << kBits;
  double x[kLayers + 1];     ///< x[i]: width of layer i; x[kLayers] = 0
  double x_scaled[kLayers];  ///< x[i] 2^-52 (exact): the AVX-512 fast path multiplies it by 2^52 u
  double f[kLayers + 1];     ///< f(x[i]); f[kLayers] = 1
  /// Wedge squeezes (layers 1..255): chord slope (f[i] - f[i + 1]) / (x[i] - x[i + 1]) and an
  /// upper bound e of the curve's distance from the chord (dx^2 / 8 max |f''|, with margin);
  /// kind +1 where f is convex on the layer (curve below the chord), -1 where concave, 0 both.
  double slope[kLayers + 1];
  double e[kLayers + 1];
  int kind[kLayers + 1];
  double r;  ///< tail start x[1]
  /// Conservative acceptance bounds per layer group, so that the fast path needs one table
  /// lookup (x[i]) instead of two: u < q_group[g(i)] implies fl(u x[i]) < x[i + 1]. The ratio
  /// x[i + 1] / x[i] falls towards both ends (the tail and the peak), so groups are octaves of
  /// the distance from the nearer end (zig_group). Each bound is its group's smallest ratio less
  /// 2^-40 relative (covering the rounding of the ratio and of z). Draws beyond their bound
  /// (0.28%, against 0.23% for the exact test) go to the exact completion, whose first step is
  /// the exact test, so the values are those of the two-lookup test.
  static constexpr int kGroups = 32;
  double q_group[kGroups];
};

/// The group of layer i in q_group: 64-bit leading zeros of i (lower half) or of kLayers - 1 - i
/// (upper half), modulo 16, plus 16 in the upper half.
int zig_group(int layer);

/// The tables, built on first use (thread-safe static).
const ZigTables& zig_tables();

}  // namespace onlinesgd::kernel
