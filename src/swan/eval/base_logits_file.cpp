#include "swan/eval/base_logits_file.h"

#include <unistd.h>

#include <array>
#include <bit>
#include <cerrno>
#include <cstring>
#include <system_error>

#include "swan/core/byte_fields.h"
#include "swan/core/error.h"

namespace swan::eval {
namespace {

constexpr std::array<char, 8> kMagic = {'S', 'W', 'A', 'N', 'B', 'L', 'P', '\0'};
constexpr std::uint32_t kVersion = 1;
constexpr std::uint32_t kHeaderSize = 64;
constexpr std::uint32_t kFloat32 = 1;

std::uint64_t row_bytes(const BaseLogitsHeader& h) { return std::uint64_t{h.vocab_size} * sizeof(float); }
std::uint64_t chunk_bytes(const BaseLogitsHeader& h) { return row_bytes(h) * h.scored_per_chunk; }

}  // namespace

std::uint64_t hash_tokens(std::span<const std::int32_t> tokens) {
  std::uint64_t hash = 0xcbf29ce484222325ULL;
  for (std::int32_t token : tokens) {
    const auto bits = static_cast<std::uint32_t>(token);
    for (int byte = 0; byte < 4; ++byte) {
      hash ^= (bits >> (8 * byte)) & 0xffu;
      hash *= 0x100000001b3ULL;
    }
  }
  return hash;
}

BaseLogitsHeader make_base_logits_header(std::span<const std::int32_t> tokens, const ChunkPlan& plan,
                                         std::size_t vocab_size, std::int32_t bos_id) {
  SWAN_CHECK(tokens.size() >= plan.tokens_covered(), "{} tokens for {} chunks of {}", tokens.size(),
             plan.chunk_count, plan.ctx);
  BaseLogitsHeader h;
  h.vocab_size = static_cast<std::uint32_t>(vocab_size);
  h.ctx = static_cast<std::uint32_t>(plan.ctx);
  h.chunk_count = static_cast<std::uint32_t>(plan.chunk_count);
  h.scored_per_chunk = static_cast<std::uint32_t>(plan.scored_per_chunk());
  h.bos_id = bos_id;
  h.token_count = tokens.size();
  h.tokens_hash = hash_tokens(tokens.first(plan.tokens_covered()));
  return h;
}

void store_evaluation_fields(std::span<unsigned char> header, const BaseLogitsHeader& h) {
  store_field(header, 16, h.vocab_size);
  store_field(header, 20, h.ctx);
  store_field(header, 24, h.chunk_count);
  store_field(header, 28, h.scored_per_chunk);
  store_field(header, 36, h.bos_id);
  store_field(header, 40, h.token_count);
  store_field(header, 48, h.tokens_hash);
}

BaseLogitsHeader load_evaluation_fields(std::span<const unsigned char> header) {
  BaseLogitsHeader h;
  h.vocab_size = load_field<std::uint32_t>(header, 16);
  h.ctx = load_field<std::uint32_t>(header, 20);
  h.chunk_count = load_field<std::uint32_t>(header, 24);
  h.scored_per_chunk = load_field<std::uint32_t>(header, 28);
  h.bos_id = load_field<std::int32_t>(header, 36);
  h.token_count = load_field<std::uint64_t>(header, 40);
  h.tokens_hash = load_field<std::uint64_t>(header, 48);
  return h;
}

// ---- writer ----

BaseLogitsWriter::BaseLogitsWriter(std::filesystem::path path, const BaseLogitsHeader& header)
    : path_(std::move(path)), header_(header) {
  temporary_path_ = path_;
  temporary_path_ += ".tmp-" + std::to_string(::getpid());
  file_ = std::fopen(temporary_path_.c_str(), "wb");
  if (!file_) {
    fail("cannot create the base-logit file {}: {} (is the directory writable?)", temporary_path_.string(),
         std::strerror(errno));
  }
  std::array<unsigned char, kHeaderSize> bytes{};
  std::memcpy(bytes.data(), kMagic.data(), kMagic.size());
  store_field(bytes, 8, kVersion);
  store_field(bytes, 12, kHeaderSize);
  store_evaluation_fields(bytes, header_);
  store_field(bytes, 32, kFloat32);
  if (std::fwrite(bytes.data(), 1, bytes.size(), file_) != bytes.size()) {
    fail("cannot write the header of the base-logit file {}: {}", temporary_path_.string(), std::strerror(errno));
  }
}

BaseLogitsWriter::~BaseLogitsWriter() {
  if (file_) {
    std::fclose(file_);
    std::error_code ignored;
    std::filesystem::remove(temporary_path_, ignored);
  }
}

void BaseLogitsWriter::write_chunk(std::span<const float> log_probs) {
  SWAN_CHECK(file_, "write to a committed base-logit file {}", path_.string());
  SWAN_CHECK(log_probs.size_bytes() == chunk_bytes(header_), "chunk of {} bytes, expected {}",
             log_probs.size_bytes(), chunk_bytes(header_));
  SWAN_CHECK(chunks_written_ < header_.chunk_count, "more than {} chunks written", header_.chunk_count);
  if (std::fwrite(log_probs.data(), sizeof(float), log_probs.size(), file_) != log_probs.size()) {
    fail("cannot write chunk {} to the base-logit file {}: {} (disk full?)", chunks_written_,
         temporary_path_.string(), std::strerror(errno));
  }
  ++chunks_written_;
}

void BaseLogitsWriter::commit() {
  SWAN_CHECK(file_, "base-logit file {} committed twice", path_.string());
  SWAN_CHECK(chunks_written_ == header_.chunk_count, "{} of {} chunks written", chunks_written_,
             header_.chunk_count);
  const bool flushed = std::fflush(file_) == 0 && ::fsync(::fileno(file_)) == 0;
  const int flush_errno = errno;
  const bool closed = std::fclose(file_) == 0;
  file_ = nullptr;
  std::error_code error;
  if (!flushed || !closed) {
    std::filesystem::remove(temporary_path_, error);
    fail("cannot finish the base-logit file {}: {} (disk full?)", temporary_path_.string(),
         std::strerror(flush_errno));
  }
  std::filesystem::rename(temporary_path_, path_, error);
  if (error) {
    std::error_code ignored;
    std::filesystem::remove(temporary_path_, ignored);
    fail("cannot rename {} to {}: {}", temporary_path_.string(), path_.string(), error.message());
  }
}

// ---- reader ----

BaseLogitsReader::BaseLogitsReader(std::filesystem::path path) : path_(std::move(path)) {
  file_ = std::fopen(path_.c_str(), "rb");
  if (!file_) fail("cannot open the base-logit file {}: {}", path_.string(), std::strerror(errno));
  std::array<unsigned char, kHeaderSize> bytes{};
  if (std::fread(bytes.data(), 1, bytes.size(), file_) != bytes.size() ||
      std::memcmp(bytes.data(), kMagic.data(), kMagic.size()) != 0) {
    fail("{} is not a swan base-logit file (made by `swan eval kld --save-base`)", path_.string());
  }
  const auto version = load_field<std::uint32_t>(bytes, 8);
  if (version != kVersion) {
    fail("{} is a base-logit file of version {}, this swan reads version {}: regenerate it with --save-base",
         path_.string(), version, kVersion);
  }
  const auto header_size = load_field<std::uint32_t>(bytes, 12);
  const auto type = load_field<std::uint32_t>(bytes, 32);
  if (header_size != kHeaderSize || type != kFloat32) {
    fail("{}: unsupported base-logit header (size {}, log-prob type {}): regenerate it with --save-base",
         path_.string(), header_size, type);
  }
  header_ = load_evaluation_fields(bytes);
  if (header_.vocab_size == 0 || header_.ctx < 3 || header_.chunk_count == 0 ||
      header_.scored_per_chunk != header_.ctx - 1 - header_.ctx / 2) {
    fail("{}: inconsistent base-logit header (vocab {}, ctx {}, chunks {}, {} scored per chunk)", path_.string(),
         header_.vocab_size, header_.ctx, header_.chunk_count, header_.scored_per_chunk);
  }
  std::error_code error;
  const auto size = std::filesystem::file_size(path_, error);
  const std::uint64_t expected = kHeaderSize + chunk_bytes(header_) * header_.chunk_count;
  if (error || size != expected) {
    fail("{} has {} bytes but its header describes {} (truncated or corrupt): regenerate it with --save-base",
         path_.string(), size, expected);
  }
}

BaseLogitsReader::~BaseLogitsReader() {
  if (file_) std::fclose(file_);
}

void check_same_evaluation(const BaseLogitsHeader& found, const BaseLogitsHeader& expected, std::string_view where,
                           std::string_view remedy) {
  const BaseLogitsHeader& h = found;
  if (h.vocab_size != expected.vocab_size) {
    fail("{} holds scores over a vocabulary of {}, the model has {}: the base and model do not share a vocabulary",
         where, h.vocab_size, expected.vocab_size);
  }
  if (h.ctx != expected.ctx) fail("{} was made with --ctx {}, this run uses --ctx {}", where, h.ctx, expected.ctx);
  if (h.chunk_count != expected.chunk_count) {
    fail("{} holds {} chunks, this run evaluates {}: pass --chunks {} (the text must have enough tokens)", where,
         h.chunk_count, expected.chunk_count, h.chunk_count);
  }
  if (h.bos_id != expected.bos_id) {
    fail("{} was made with BOS token {}, this model's tokenizer uses {} (-1 = none): different tokenizers", where,
         h.bos_id, expected.bos_id);
  }
  if (h.tokens_hash != expected.tokens_hash) {
    fail("{} was made from different tokens (hash {:016x}, this run {:016x}): another text or another tokenizer; {}",
         where, h.tokens_hash, expected.tokens_hash, remedy);
  }
}

void BaseLogitsReader::check_matches(const BaseLogitsHeader& expected) const {
  check_same_evaluation(header_, expected, path_.string(), "regenerate it with --save-base");
}

void BaseLogitsReader::read_chunk(std::size_t index, std::span<float> out) {
  SWAN_CHECK(index < header_.chunk_count, "chunk {} of {}", index, header_.chunk_count);
  SWAN_CHECK(out.size_bytes() == chunk_bytes(header_), "buffer of {} bytes for a chunk of {}", out.size_bytes(),
             chunk_bytes(header_));
  const auto offset = static_cast<off_t>(kHeaderSize + chunk_bytes(header_) * index);
  if (::fseeko(file_, offset, SEEK_SET) != 0 || std::fread(out.data(), sizeof(float), out.size(), file_) != out.size()) {
    fail("cannot read chunk {} of the base-logit file {}: {}", index, path_.string(), std::strerror(errno));
  }
}

}  // namespace swan::eval
