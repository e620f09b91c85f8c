// Picking the next token from one row of logits: greedy (temperature 0, the first of equal
// maxima, as mlx's argmax) or sampling from softmax(logits / temperature), optionally cut to
// the smallest set of most likely tokens whose probability reaches top_p (nucleus sampling).
// Deterministic for a seed.
#pragma once

#include <cstdint>
#include <random>
#include <span>

namespace swan::inference {

struct SamplerSettings {
  double temperature = 0.0;  // 0: greedy
  double top_p = 1.0;        // (0, 1]; 1 keeps every token
  std::uint64_t seed = 0;
};

class Sampler {
 public:
  // Throws swan::Error for a negative temperature or top_p outside (0, 1].
  explicit Sampler(SamplerSettings settings);
  std::int32_t next(std::span<const float> logits);

 private:
  SamplerSettings settings_;
  std::mt19937_64 random_;
};

}  // namespace swan::inference
