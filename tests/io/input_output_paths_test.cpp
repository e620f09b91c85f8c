// Paths swan reads and writes: outputs never replace inputs (other spellings included),
// input files must be regular files, and error messages show bounded excerpts of values.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>
#include <string>

#include "support/fixtures.h"
#include "swan/core/error.h"
#include "swan/io/atomic_file.h"
#include "swan/io/input_file.h"
#include "swan/io/json_excerpt.h"

namespace swan {
namespace {

namespace fs = std::filesystem;

bool refused(const fs::path& output, std::vector<fs::path> inputs) {
  try {
    require_output_apart_from_inputs(output, inputs, "the output");
  } catch (const Error&) {
    return true;
  }
  return false;
}

TEST(OutputApartFromInputs, SameFileOtherSpellingsAndHoldingDirectoriesAreRefused) {
  test::ScratchDir dir;
  fs::create_directories(dir / "model");
  std::ofstream(dir / "model/model.safetensors") << "x";
  std::ofstream(dir / "text.txt") << "x";
  fs::create_symlink(dir / "text.txt", dir / "link.txt");
  const std::vector<fs::path> model{dir / "model"}, text{dir / "text.txt"};
  EXPECT_TRUE(refused(dir / "text.txt", text));
  EXPECT_TRUE(refused(dir / "link.txt", text));                                   // a symlink to it
  EXPECT_TRUE(refused(dir / "model/../text.txt", text));                          // ".."
  EXPECT_TRUE(refused(dir / "model/model.safetensors", model));                   // a shard of an input dir
  EXPECT_TRUE(refused(dir / "model/config.json", model));                         // a file it would read
  EXPECT_TRUE(refused(dir / "model", model));                                     // the input itself
  EXPECT_TRUE(refused(dir.path(), model));                                        // a directory holding it
  EXPECT_FALSE(refused(dir / "model/manifest.json", model));                      // a new file beside it
  EXPECT_FALSE(refused(dir / "out.json", {dir / "model", dir / "text.txt"}));
  EXPECT_FALSE(refused(dir / "model-out", model));  // a sibling whose name starts the same
}

TEST(InputFile, OnlyRegularFilesAreRead) {
  test::ScratchDir dir;
  std::ofstream(dir / "a.json") << "{}";
  ASSERT_EQ(::mkfifo((dir / "fifo").c_str(), 0600), 0);
  EXPECT_NO_THROW(require_regular_file(dir / "a.json", "JSON file"));
  EXPECT_THROW(require_regular_file(dir / "fifo", "tokenizer model"), Error);
  EXPECT_THROW(require_regular_file(dir.path(), "JSON file"), Error);
  EXPECT_THROW(require_regular_file(dir / "missing", "JSON file"), Error);
  EXPECT_EQ(read_regular_file(dir / "a.json", "JSON file", 100), "{}");
  EXPECT_THROW(read_regular_file(dir / "a.json", "JSON file", 1), Error);  // over the size limit
}

TEST(JsonExcerpt, ValuesAreShownBounded) {
  EXPECT_EQ(json_excerpt(nlohmann::json(42)), "42");
  EXPECT_EQ(json_excerpt(nlohmann::json(nullptr)), "null");
  EXPECT_EQ(json_excerpt(nlohmann::json("abc")), "\"abc\"");
  EXPECT_EQ(json_excerpt(nlohmann::json::array({1, 2, 3})), "an array of 3 elements");
  EXPECT_EQ(json_excerpt(nlohmann::ordered_json{{"a", 1}}), "an object of 1 key");
  const std::string huge(1 << 20, 'x');
  const auto shown = json_excerpt(nlohmann::json(huge));
  EXPECT_LT(shown.size(), 100u);
  EXPECT_NE(shown.find("1048576 bytes"), std::string::npos) << shown;
  // A cut through a multi-byte character or invalid UTF-8 still formats.
  EXPECT_NO_THROW(text_excerpt(std::string(63, 'a') + "\xc3\xa9", 64));
  EXPECT_NO_THROW(text_excerpt("\xff\xfe"));
  EXPECT_EQ(text_excerpt("a\nb"), "\"a\\nb\"");
}

}  // namespace
}  // namespace swan
