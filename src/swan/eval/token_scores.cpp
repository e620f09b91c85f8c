#include "swan/eval/token_scores.h"

#include <array>
#include <bit>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <fstream>
#include <iterator>
#include <string>

#include "swan/core/byte_fields.h"
#include "swan/core/error.h"
#include "swan/eval/statistics.h"
#include "swan/io/atomic_file.h"

namespace swan::eval {
namespace {

constexpr std::array<char, 8> kMagic = {'S', 'W', 'A', 'N', 'T', 'K', 'S', '\0'};
constexpr std::uint32_t kVersion = 1;
constexpr std::size_t kHeaderSize = 64;
constexpr std::size_t kRecordSize = 3 * sizeof(double);

// Σa, Σa², Σb, Σb², Σab of paired per-token values, and what follows from them.
struct PairedSums {
  RunningSums a, b;
  double sum_products = 0.0;

  void add(double x, double y) {
    a.add(x);
    b.add(y);
    sum_products += x * y;
  }
  double covariance() const { return covariance_of_means(a.sum, b.sum, sum_products, a.count); }
  double difference_stderr() const {
    return paired_difference_standard_error(a.variance_of_mean(), b.variance_of_mean(), covariance());
  }
  // Standard error of mean(a) / mean(b) to first order (delta method).
  double ratio_stderr() const {
    const double ma = a.mean(), mb = b.mean();
    if (mb == 0.0) return 0.0;
    const double ratio = ma / mb;
    const double relative = a.variance_of_mean() / (ma * ma) + b.variance_of_mean() / (mb * mb) -
                            2.0 * covariance() / (ma * mb);
    return ma == 0.0 || relative <= 0.0 ? 0.0 : std::abs(ratio) * std::sqrt(relative);
  }
};

}  // namespace

void write_token_scores(const std::filesystem::path& path, const TokenScores& scores) {
  const BaseLogitsHeader& h = scores.evaluation;
  SWAN_CHECK(scores.scores.size() == std::uint64_t{h.chunk_count} * h.scored_per_chunk,
             "{} token scores for {} chunks of {} scored tokens", scores.scores.size(), h.chunk_count,
             h.scored_per_chunk);
  std::string bytes(kHeaderSize + kRecordSize * scores.scores.size(), '\0');
  std::memcpy(bytes.data(), kMagic.data(), kMagic.size());
  store_field(bytes, 8, kVersion);
  store_field(bytes, 12, static_cast<std::uint32_t>(kHeaderSize));
  store_evaluation_fields(std::span(reinterpret_cast<unsigned char*>(bytes.data()), kHeaderSize), h);
  store_field(bytes, 56, static_cast<std::uint64_t>(scores.scores.size()));
  std::size_t offset = kHeaderSize;
  for (const TokenScore& s : scores.scores) {
    store_field(bytes, offset, s.kld);
    store_field(bytes, offset + 8, s.nll_base);
    store_field(bytes, offset + 16, s.nll_model);
    offset += kRecordSize;
  }
  write_file_atomically(path, bytes, "the token scores");
}

TokenScores parse_token_scores(std::string_view bytes, std::string_view where) {
  if (bytes.size() < kHeaderSize || std::memcmp(bytes.data(), kMagic.data(), kMagic.size()) != 0) {
    fail("{} is not a swan token-score file (made by `swan eval kld --save-scores`)", where);
  }
  const auto version = load_field<std::uint32_t>(bytes, 8);
  if (version != kVersion) {
    fail("{} is a token-score file of version {}, this swan reads version {}: regenerate it with --save-scores",
         where, version, kVersion);
  }
  if (load_field<std::uint32_t>(bytes, 12) != kHeaderSize) fail("{}: unsupported token-score header size", where);
  TokenScores result;
  BaseLogitsHeader& h = result.evaluation;
  h = load_evaluation_fields(std::span(reinterpret_cast<const unsigned char*>(bytes.data()), kHeaderSize));
  const auto count = load_field<std::uint64_t>(bytes, 56);
  if (h.vocab_size == 0 || h.ctx < 3 || h.chunk_count == 0 || h.scored_per_chunk != h.ctx - 1 - h.ctx / 2 ||
      count != std::uint64_t{h.chunk_count} * h.scored_per_chunk) {
    fail("{}: inconsistent token-score header (vocab {}, ctx {}, chunks {}, {} scored per chunk, {} scores)", where,
         h.vocab_size, h.ctx, h.chunk_count, h.scored_per_chunk, count);
  }
  // Compared by division: 24 x count may not fit in 64 bits for a hostile header.
  const std::size_t payload = bytes.size() - kHeaderSize;
  if (payload % kRecordSize != 0 || payload / kRecordSize != count) {
    fail("{} has {} bytes of scores but its header describes {} tokens of {} bytes (truncated or corrupt): "
         "regenerate it with --save-scores",
         where, payload, count, kRecordSize);
  }
  result.scores.resize(count);
  std::size_t offset = kHeaderSize;
  for (TokenScore& s : result.scores) {
    s.kld = load_field<double>(bytes, offset);
    s.nll_base = load_field<double>(bytes, offset + 8);
    s.nll_model = load_field<double>(bytes, offset + 16);
    if (!std::isfinite(s.kld) || !std::isfinite(s.nll_base) || !std::isfinite(s.nll_model)) {
      fail("{}: token {} has a non-finite score (corrupt file): regenerate it with --save-scores", where,
           (offset - kHeaderSize) / kRecordSize);
    }
    offset += kRecordSize;
  }
  return result;
}

TokenScores read_token_scores(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) fail("cannot open the token-score file {}: {}", path.string(), std::strerror(errno));
  const std::string bytes{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  if (in.bad()) fail("cannot read the token-score file {}: {}", path.string(), std::strerror(errno));
  return parse_token_scores(bytes, path.string());
}

PairedComparison compare_paired(std::span<const TokenScore> scores, std::span<const TokenScore> other) {
  if (scores.size() != other.size()) {
    fail("the paired runs scored {} and {} tokens: pair runs over the same text, --ctx and --chunks", scores.size(),
         other.size());
  }
  if (scores.empty()) fail("no token was scored, so there is nothing to pair");
  PairedSums kld, nll;
  for (std::size_t i = 0; i < scores.size(); ++i) {
    if (std::bit_cast<std::uint64_t>(scores[i].nll_base) != std::bit_cast<std::uint64_t>(other[i].nll_base)) {
      fail("the paired runs disagree on the base model's NLL of scored token {} ({} vs {}): they were measured "
           "against different base models or texts, so their KLDs cannot be paired",
           i, scores[i].nll_base, other[i].nll_base);
    }
    kld.add(scores[i].kld, other[i].kld);
    nll.add(scores[i].nll_model, other[i].nll_model);
  }
  PairedComparison c;
  c.tokens = scores.size();
  c.kld_mean = kld.a.mean();
  c.other_kld_mean = kld.b.mean();
  c.kld_difference = c.kld_mean - c.other_kld_mean;
  c.kld_difference_stderr = kld.difference_stderr();
  c.kld_ratio = c.other_kld_mean > 0.0 ? c.kld_mean / c.other_kld_mean : 0.0;
  c.kld_ratio_stderr = kld.ratio_stderr();
  c.nll_difference = nll.a.mean() - nll.b.mean();
  c.nll_difference_stderr = nll.difference_stderr();
  return c;
}

}  // namespace swan::eval
