// Tokenizer throughput: evaluation tokenizes WikiText-2's test split (1.3 MB) before every
// perplexity run, so encoding it should take well under a few seconds, and decoding must give
// the text back exactly. Prints bytes, tokens, encode and decode time per tokenizer; exits 1
// only if a round trip is not exact (a wall time is a measurement here, not a pass/fail).
//
//   tokenizer_bench [TEXT] [TOKENIZER_JSON...]
//   (default: the full Qwen3 and Llama-3 tokenizers and wiki.test.raw from the project's
//    shared fixture folder, $SWAN_SHARED_DIR or ../shared beside the source tree; the
//    repository's trimmed copies under tests/fixtures are not meant for arbitrary text)
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "swan/core/error.h"
#include "swan/tokenizer/bpe_tokenizer.h"

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) swan::fail("cannot open {}", path.string());
  std::ostringstream contents;
  contents << in.rdbuf();
  return contents.str();
}

}  // namespace

int main(int argc, char** argv) {
  try {
    const char* shared = std::getenv("SWAN_SHARED_DIR");
    const std::filesystem::path shared_dir =
        shared ? std::filesystem::path(shared) : std::filesystem::path(__FILE__).parent_path() / "../../shared";
    const std::filesystem::path text_path = argc > 1 ? argv[1] : shared_dir / "data/wikitext-2-raw/wiki.test.raw";
    std::vector<std::filesystem::path> tokenizers;
    for (int i = 2; i < argc; ++i) tokenizers.emplace_back(argv[i]);
    if (tokenizers.empty()) {
      tokenizers = {shared_dir / "tokenizers/qwen3/tokenizer.json", shared_dir / "tokenizers/llama3/tokenizer.json"};
    }
    const std::string text = read_file(text_path);
    bool exact = true;
    for (const auto& path : tokenizers) {
      auto start = Clock::now();
      const auto tokenizer = swan::BpeTokenizer::from_file(path);
      const double load = seconds_since(start);
      start = Clock::now();
      const auto ids = tokenizer->encode(text);
      const double encode = seconds_since(start);
      start = Clock::now();
      const bool round_trip = tokenizer->decode(ids) == text;
      const double decode = seconds_since(start);
      exact = exact && round_trip;
      std::printf("%s: %zu bytes -> %zu tokens; load %.3f s, encode %.3f s (%.1f MB/s), decode %.3f s; round trip %s\n",
                  path.string().c_str(), text.size(), ids.size(), load, encode, text.size() / encode / 1e6, decode,
                  round_trip ? "exact" : "DIFFERS");
    }
    return exact ? 0 : 1;
  } catch (const std::exception& error) {
    std::fprintf(stderr, "tokenizer_bench: error: %s\n", error.what());
    return 1;
  }
}
