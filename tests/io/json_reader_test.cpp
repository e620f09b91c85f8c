// The JSON reader every untrusted JSON file goes through: nesting depth and size bounded
// before parsing, non-regular files refused, files named in errors.
#include "swan/io/json_reader.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>
#include <functional>
#include <string>

#include "support/fixtures.h"
#include "swan/core/error.h"
#include "swan/io/model_directory.h"
#include "swan/io/safetensors.h"

namespace swan {
namespace {

std::string nested(std::size_t levels) { return std::string(levels, '[') + std::string(levels, ']'); }

std::string error_of(const std::function<void()>& action) {
  try {
    action();
  } catch (const Error& error) {
    return error.what();
  }
  return "";
}

TEST(JsonReader, DepthIsCountedOverArraysAndObjectsButNotStrings) {
  EXPECT_NO_THROW(check_json_limits(nested(256), "x"));
  EXPECT_THROW(check_json_limits(nested(257), "x"), Error);
  EXPECT_THROW(check_json_limits(R"({"a":{"b":[{}]}})", "x", {.max_depth = 3}), Error);
  EXPECT_NO_THROW(check_json_limits(R"({"a":{"b":[1]}})", "x", {.max_depth = 3}));
  // Brackets and escaped quotes inside strings are text, not nesting.
  EXPECT_NO_THROW(check_json_limits(R"(["[[[[\"[[[[", "{{{{"])", "x", {.max_depth = 1}));
  EXPECT_THROW(check_json_limits(std::string(100, ' '), "x", {.max_bytes = 99}), Error);
}

TEST(JsonReader, A100kLevelConfigIsAnErrorNamingTheFile) {
  test::ScratchDir scratch;
  std::ofstream(scratch / "config.json") << "{\"a\":" << nested(100'000) << "}";
  const auto message = error_of([&] { ModelDirectory directory(scratch.path()); });
  EXPECT_NE(message.find("config.json"), std::string::npos) << message;
  EXPECT_NE(message.find("nests deeper"), std::string::npos) << message;
}

TEST(JsonReader, ASafetensorsHeaderWithDeepMetadataIsRejected) {
  test::ScratchDir scratch;
  const std::string header = "{\"__metadata__\":{\"a\":" + nested(100'000) + "}}";
  const std::uint64_t size = header.size();
  std::ofstream out(scratch / "model.safetensors", std::ios::binary);
  out.write(reinterpret_cast<const char*>(&size), 8);
  out << header;
  out.close();
  const auto message = error_of([&] { SafetensorsFile file(scratch / "model.safetensors"); });
  EXPECT_NE(message.find("nests deeper"), std::string::npos) << message;
}

TEST(JsonReader, RefusesAFifoInsteadOfBlockingOnIt) {
  test::ScratchDir scratch;
  ASSERT_EQ(::mkfifo((scratch / "config.json").c_str(), 0600), 0);
  const auto message = error_of([&] { read_json_file(scratch / "config.json"); });
  EXPECT_NE(message.find("not a regular file"), std::string::npos) << message;
}

TEST(JsonReader, InvalidJsonNamesTheFile) {
  test::ScratchDir scratch;
  std::ofstream(scratch / "index.json") << "{\"weight_map\": [1, 2";
  const auto message = error_of([&] { read_unordered_json_file(scratch / "index.json"); });
  EXPECT_NE(message.find("index.json is not valid JSON"), std::string::npos) << message;
  EXPECT_NE(error_of([&] { read_json_file(scratch / "missing.json"); }).find("missing.json"), std::string::npos);
}

}  // namespace
}  // namespace swan
