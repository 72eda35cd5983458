#pragma once
/// The overlap engine's normals, read as one long sequence: value p is value p mod kBlock of the
/// double-normal block keyed (seed, Stream::Chain, counter = p / kBlock) (rng.hpp). A step of a
/// given configuration consumes a fixed number of normals, so step s starts at s times that
/// number: the state of the stream is the step count alone (checkpoints need nothing else), and
/// blocks are drawn by the vectorised generator, ~1 ns per normal.
#include <cstdint>

#include "onlinesgd/rng.hpp"

namespace onlinesgd::chain {

class NormalStream {
 public:
  explicit NormalStream(std::uint64_t seed, rng::Stream stream) : seed_(seed), stream_(stream) {}

  /// Continue from value `pos` of the sequence.
  void seek(std::uint64_t pos) {
    const std::uint64_t block = pos / rng::kBlock;
    if (block != block_) load(block);
    at_ = static_cast<int>(pos % rng::kBlock);
  }

  double next() {
    if (at_ == rng::kBlock) {
      load(block_ + 1);
      at_ = 0;
    }
    return buf_[at_++];
  }

 private:
  void load(std::uint64_t block) {
    rng::normal_block(seed_, stream_, block, 0, buf_, rng::kBlock);
    block_ = block;
  }

  std::uint64_t seed_;
  rng::Stream stream_;
  std::uint64_t block_ = ~std::uint64_t(0);
  int at_ = rng::kBlock;
  double buf_[rng::kBlock];
};

}  // namespace onlinesgd::chain
