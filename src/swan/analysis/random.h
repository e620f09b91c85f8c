// swan's own seeded random numbers for the randomized metrics. Every tensor gets its
// own stream derived from (run seed, tensor name, purpose), so results do not depend on
// processing order or thread count (unlike the reference, whose torch stream runs
// through the whole model; spec §7).
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

namespace swan::analysis {

// 64-bit FNV-1a; also used to fingerprint safetensors headers.
std::uint64_t fnv1a64(std::string_view bytes, std::uint64_t hash = 0xcbf29ce484222325ull);

// SplitMix64 stream: tiny state, passes BigCrush, trivially seedable. It is counter-based
// (value i is a fixed mix of seed + i * golden ratio), so a stream's values never depend on
// who else draws random numbers or on how many threads run.
class Random {
 public:
  explicit Random(std::uint64_t seed) : state_(seed) {}
  // A stream for one tensor and one purpose ("noise", "svd", ...).
  static Random for_tensor(std::uint64_t seed, std::string_view tensor_name, std::string_view purpose);

  std::uint64_t next_u64();
  // Uniform on [0, 1) with 24 random bits: exactly representable in float32, like torch.rand.
  float uniform_float();
  // Standard normal (Box-Muller in double, one value per call).
  double normal();
  // Fills `out` with standard normals by the polar method, both values of each pair used
  // (several times faster than normal() per value; a different sequence from it).
  void fill_normal(std::span<double> out);
  // The same method in float32 arithmetic from 24-bit uniforms (the sketches' test
  // matrices, which are float32 anyway): a different sequence from the float64 one.
  void fill_normal(std::span<float> out);

 private:
  std::uint64_t state_;
};

}  // namespace swan::analysis
