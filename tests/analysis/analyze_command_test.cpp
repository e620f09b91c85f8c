// End-to-end `swan analyze` through the real binary (SWAN_BINARY, set by ctest); skipped
// when the binary is not available.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "support/fixtures.h"
#include "swan/analysis/manifest.h"

namespace swan::analysis {
namespace {

std::string run(const std::string& command, int& status) {
  std::string output;
  FILE* pipe = ::popen(command.c_str(), "r");
  if (!pipe) return output;
  char buffer[4096];
  while (std::size_t n = std::fread(buffer, 1, sizeof buffer, pipe)) output.append(buffer, n);
  status = ::pclose(pipe);
  return output;
}

TEST(AnalyzeCommand, WritesManifestAndJsonSummary) {
  const char* binary = std::getenv("SWAN_BINARY");
  if (!binary || !std::filesystem::exists(binary)) GTEST_SKIP() << "SWAN_BINARY not set (run through ctest)";
  swan::test::ScratchDir dir;
  const auto manifest_path = dir / "m.json";
  int status = -1;
  const std::string out = run(std::string(binary) + " analyze " + swan::test::shared_path("models/stories260k").string() +
                                  " -o " + manifest_path.string() + " --json --threads 2 2>&1",
                              status);
  ASSERT_EQ(status, 0) << out;
  const auto summary = nlohmann::json::parse(out);
  // Reference README: 47 tensors, average 6.080 bits with the CLI thresholds.
  EXPECT_EQ(summary["tensor_count"], 47);
  EXPECT_NEAR(summary["average_bits"].get<double>(), 6.0802362786118636, 1e-12);
  const Manifest m = read_manifest(manifest_path);
  EXPECT_EQ(m.summary.bits_distribution.at(8).params, 34816);
  ASSERT_TRUE(m.run.has_value());
  EXPECT_EQ(m.run->threshold_set, "cli");

  const std::string bad = run(std::string(binary) + " analyze " + dir.path().string() + " --thresholds readme 2>&1", status);
  EXPECT_NE(status, 0);
  EXPECT_NE(bad.find("thresholds"), std::string::npos) << bad;
}

}  // namespace
}  // namespace swan::analysis
