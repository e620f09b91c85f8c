// Autoregressive generation: the prompt in one prefill, then one token at a time through the
// KV cache, each picked by a Sampler from the last logits. Token ids only (the caller
// tokenizes and decodes); the stopping rule is a maximum count and an optional set of
// end-of-sequence ids.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <vector>

#include "swan/inference/model.h"
#include "swan/inference/sampler.h"

namespace swan::inference {

struct GenerationSettings {
  std::size_t max_tokens = 128;
  SamplerSettings sampler;
  std::size_t max_kv_size = 0;                // 0: unbounded cache
  std::vector<std::int32_t> stop_ids;         // generation ends after emitting one of these
};

struct GenerationResult {
  std::vector<std::int32_t> generated;
  double prompt_seconds = 0;  // prefill, including the first token's logits
  double decode_seconds = 0;  // the remaining tokens
  // Generated tokens per second after the first (the decode rate; mlx_lm's "generation").
  double decode_tokens_per_second() const;
  double prompt_tokens_per_second(std::size_t prompt_tokens) const;
};

// Calls `on_token` with every generated id as soon as it is known.
GenerationResult generate(const Model& model, std::span<const std::int32_t> prompt, const GenerationSettings& settings,
                          const std::function<void(std::int32_t)>& on_token = {});

}  // namespace swan::inference
