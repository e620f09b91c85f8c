// The base-logit file of `swan eval kld --save-base FILE / --base-logits FILE`: the base model's
// log-probabilities at every scored position, so a base model is run once and reused for any
// number of quantized variants.
//
// Layout (version 1, all integers little-endian):
//   offset  size  field
//        0     8  magic "SWANBLP\0"
//        8     4  u32 version = 1
//       12     4  u32 header size in bytes = 64 (payload starts here)
//       16     4  u32 vocab_size        log-probs per scored position
//       20     4  u32 ctx               tokens per chunk
//       24     4  u32 chunk_count
//       28     4  u32 scored_per_chunk  = ctx - 1 - ctx/2 (checked on read)
//       32     4  u32 log_prob_type     1 = float32
//       36     4  i32 bos_id            token that replaced each chunk's first token, -1 if none
//       40     8  u64 token_count       tokens of the whole tokenized text
//       48     8  u64 tokens_hash       FNV-1a 64 of the chunk_count·ctx evaluated token ids
//                                       (little-endian int32 each, before BOS replacement)
//       56     8  reserved, 0
//       64     …  chunk_count × scored_per_chunk rows of vocab_size float32, in chunk order,
//                 row r of a chunk = log-softmax of logits row ctx/2 + r.
// The file size must be exactly 64 + rows·vocab_size·4 (a truncated file is refused).
//
// Why float32 log-softmax: the log-probs are what KLD consumes, and float32 rounding of a
// log-prob ℓ errs by at most |ℓ|·2⁻²⁴ (< 2e-6 nats at ℓ = -30), so the KLD error is below
// 1e-7 nats — far under any quantization's KLD. fp16 would halve the file but err by
// |ℓ|·2⁻¹¹ (~5e-4 nats at ℓ = -1), as large as the KLD of a good 8-bit quantization.
// Size: tokens_scored × vocab × 4 bytes (5,080 × 512 × 4 = 10 MB for stories260k at ctx 256 /
// 40 chunks; 25,500 × 32,000 × 4 = 3.3 GB for a Llama-2 at ctx 512 / 100 chunks).
// Written to a temporary file in the same directory and renamed when complete, so a crash
// never leaves a truncated file under the final name.
#pragma once

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <span>
#include <string>
#include <string_view>

#include "swan/eval/chunking.h"

namespace swan::eval {

// FNV-1a 64 over the little-endian bytes of `tokens`.
std::uint64_t hash_tokens(std::span<const std::int32_t> tokens);

struct BaseLogitsHeader {
  std::uint32_t vocab_size = 0;
  std::uint32_t ctx = 0;
  std::uint32_t chunk_count = 0;
  std::uint32_t scored_per_chunk = 0;
  std::int32_t bos_id = -1;
  std::uint64_t token_count = 0;
  std::uint64_t tokens_hash = 0;
};

// The header describing an evaluation of `tokens` under `plan`.
BaseLogitsHeader make_base_logits_header(std::span<const std::int32_t> tokens, const ChunkPlan& plan,
                                         std::size_t vocab_size, std::int32_t bos_id);

// The evaluation's identity fields, at the offsets both of swan's eval files use (16 vocab,
// 20 ctx, 24 chunks, 28 scored per chunk, 36 BOS, 40 token count, 48 tokens hash), into / from
// a header of at least 56 bytes.
void store_evaluation_fields(std::span<unsigned char> header, const BaseLogitsHeader& h);
BaseLogitsHeader load_evaluation_fields(std::span<const unsigned char> header);

// Refuses (swan::Error naming `where`, saying what differs and what to do) an evaluation
// `found` made from other tokens, another context, chunk count, BOS handling or vocabulary
// than `expected`; `remedy` ends the message for regenerable files ("regenerate it with ...").
void check_same_evaluation(const BaseLogitsHeader& found, const BaseLogitsHeader& expected, std::string_view where,
                           std::string_view remedy);

class BaseLogitsWriter {
 public:
  BaseLogitsWriter(std::filesystem::path path, const BaseLogitsHeader& header);
  ~BaseLogitsWriter();  // removes the temporary file unless commit() succeeded
  BaseLogitsWriter(const BaseLogitsWriter&) = delete;
  BaseLogitsWriter& operator=(const BaseLogitsWriter&) = delete;

  // Appends one chunk: scored_per_chunk × vocab_size log-probs, row-major.
  void write_chunk(std::span<const float> log_probs);
  // Checks every chunk was written, flushes, syncs and renames the file into place.
  void commit();

 private:
  std::filesystem::path path_;
  std::filesystem::path temporary_path_;
  BaseLogitsHeader header_;
  std::FILE* file_ = nullptr;
  std::uint32_t chunks_written_ = 0;
};

class BaseLogitsReader {
 public:
  // Opens and validates the header and the file size; throws swan::Error naming the file.
  explicit BaseLogitsReader(std::filesystem::path path);
  ~BaseLogitsReader();
  BaseLogitsReader(const BaseLogitsReader&) = delete;
  BaseLogitsReader& operator=(const BaseLogitsReader&) = delete;

  const BaseLogitsHeader& header() const { return header_; }
  const std::filesystem::path& path() const { return path_; }

  // check_same_evaluation of this file's header against `expected`.
  void check_matches(const BaseLogitsHeader& expected) const;

  // Reads chunk `index` (scored_per_chunk × vocab_size floats) into `out`.
  void read_chunk(std::size_t index, std::span<float> out);

 private:
  std::filesystem::path path_;
  BaseLogitsHeader header_;
  std::FILE* file_ = nullptr;
};

}  // namespace swan::eval
