// inspect on MLX directories whose config.json "quantization" is hostile: settings no MLX
// kernel has (bits 0 divided by before), integers that only fit after truncation (2^32 + 4
// read as 4) or that are not integers. Each must be a reported violation, never a crash
// and never silently accepted.
#include <gtest/gtest.h>

#include <fstream>
#include <string>

#include "mlx/directory_util.h"
#include "support/fixtures.h"
#include "swan/mlx/inspect.h"

namespace swan::mlx {
namespace {

// A copy of one of mlx_lm's own (valid) directories whose config.json has the global bits
// (or, with `override_entry`, the embedding's per-module bits) replaced by `replacement`.
InspectReport inspect_with_quantization(const std::string& replacement, bool override_entry = false) {
  test::ScratchDir scratch;
  const auto source = test::fixture_path(override_entry ? "golden/mlx_lm/qwen3_untied_mixed_3_6_g64/mlx_lm_output"
                                                        : "golden/mlx_lm/qwen2_tied_uniform_q4g64/mlx_lm_output");
  std::filesystem::copy(source, scratch / "out");
  std::filesystem::permissions(scratch / "out/config.json", std::filesystem::perms::owner_write,
                               std::filesystem::perm_options::add);
  auto config = nlohmann::ordered_json::parse(test::read_file_text(source / "config.json"));
  std::string text = config.dump();
  const std::string key = override_entry ? R"("model.embed_tokens":{"group_size":64,"bits":3)" : R"("bits":4)";
  const auto at = text.find(key);
  EXPECT_NE(at, std::string::npos) << text;
  std::string replaced = key;
  replaced.replace(replaced.size() - 1, 1, replacement);
  text.replace(at, key.size(), replaced);
  std::ofstream(scratch / "out/config.json", std::ios::trunc) << text;
  return inspect_directory(scratch / "out");
}

bool mentions(const InspectReport& report, const std::string& text) {
  for (const auto& v : report.violations)
    if (v.find(text) != std::string::npos) return true;
  return false;
}

TEST(InspectHostileQuantization, TheUneditedCopiesAreValid) {
  EXPECT_TRUE(inspect_with_quantization("4").ok());
  EXPECT_TRUE(inspect_with_quantization("3", true).ok());
}

TEST(InspectHostileQuantization, ZeroBitsIsAViolationNotADivisionByZero) {
  const auto report = inspect_with_quantization("0");
  EXPECT_FALSE(report.ok());
  EXPECT_TRUE(mentions(report, "bits 0")) << testing::PrintToString(report.violations);
}

TEST(InspectHostileQuantization, IntegersAreRangeCheckedNotTruncated) {
  for (const char* bits : {"4294967300", "-4294967292", "18446744073709551620", "4.5", "4.0", "\"4\""}) {
    const auto report = inspect_with_quantization(bits);
    EXPECT_FALSE(report.ok()) << bits;
    EXPECT_TRUE(mentions(report, "quantization.bits")) << bits << ": " << testing::PrintToString(report.violations);
  }
}

TEST(InspectHostileQuantization, OverrideEntriesAreRangeCheckedToo) {
  for (const char* bits : {"0", "4294967300", "4.5"}) {
    const auto report = inspect_with_quantization(bits, true);
    EXPECT_FALSE(report.ok()) << bits;
    EXPECT_TRUE(mentions(report, "model.embed_tokens")) << bits << ": " << testing::PrintToString(report.violations);
  }
}

}  // namespace
}  // namespace swan::mlx
