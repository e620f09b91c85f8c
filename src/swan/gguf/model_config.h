// The decoder hyper-parameters of a GGUF file (llama, qwen2, qwen3), read back into swan's
// ModelConfig so its inference runs a llama.cpp file. Keys and defaults as llama.cpp's
// loader reads them (spec §3.1): strict types, head_count_kv defaults to head_count,
// key_length to embedding_length / head_count, rope.freq_base to 10000. The vocabulary is
// token_embd's row count; the model is tied when there is no output.weight.
#pragma once

#include "swan/gguf/reader.h"
#include "swan/model/architecture.h"

namespace swan::gguf {

// Throws swan::Error naming the file and key for a missing or mistyped key, an unsupported
// architecture or missing token_embd.weight.
model::ModelConfig gguf_model_config(const GgufFile& file);

}  // namespace swan::gguf
