// A copy of stories260k (float32, tied embedding) with its own lm_head.weight = head_scale x
// embed_tokens, for tests of untied output heads: scaling by a power of two is exact in
// every product and sum, so the head's logits are exactly head_scale x the tied ones.
#pragma once

#include <filesystem>
#include <optional>

namespace swan::test {

// Writes model.safetensors and config.json into `out`; config.json's tie_word_embeddings is
// set to `tie`, or removed for nullopt.
void write_stories260k_with_head(const std::filesystem::path& out, float head_scale, std::optional<bool> tie);

}  // namespace swan::test
