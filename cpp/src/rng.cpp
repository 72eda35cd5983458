#include "onlinesgd/rng.hpp"

namespace onlinesgd::rng {
namespace {

/// Block b of a row covers columns [b kBlock, (b + 1) kBlock), drawn from its own counter key.
template <class Real, class Draw>
void row(std::uint64_t seed, Stream stream, std::uint64_t counter, Real* out, std::size_t n, Draw draw) {
  for (std::size_t b = 0; b * kBlock < n; ++b) {
    const std::size_t start = b * kBlock;
    const int count = static_cast<int>(n - start < std::size_t(kBlock) ? n - start : kBlock);
    draw(block_key(seed, stream, counter, b), out + start, count);
  }
}

}  // namespace

void normal_block(std::uint64_t seed, Stream stream, std::uint64_t counter, std::uint64_t block, double* out,
                  int count) {
  kernel::active().normal_d(block_key(seed, stream, counter, block), out, count);
}

void normal_row(std::uint64_t seed, Stream stream, std::uint64_t counter, double* out, std::size_t n) {
  row(seed, stream, counter, out, n, kernel::active().normal_d);
}

void input_row(std::uint64_t seed, std::uint64_t sample, Inputs inputs, double* out, std::size_t n) {
  const auto& t = kernel::active();
  row(seed, Stream::Inputs, sample, out, n, inputs == Inputs::Rademacher ? t.sign_d : t.normal_d);
}

void input_row(std::uint64_t seed, std::uint64_t sample, Inputs inputs, float* out, std::size_t n) {
  const auto& t = kernel::active();
  row(seed, Stream::Inputs, sample, out, n, inputs == Inputs::Rademacher ? t.sign_f : t.normal_f);
}

}  // namespace onlinesgd::rng
