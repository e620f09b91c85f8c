// Hand-built malformed safetensors files: every header check must produce a swan::Error
// naming the file and what is wrong, never a crash (this suite also runs under ASan/UBSan).
#include <gtest/gtest.h>

#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#include "support/fixtures.h"
#include "swan/core/error.h"
#include "swan/io/safetensors.h"

namespace swan {
namespace {

std::vector<std::byte> make_file(const std::string& header, std::size_t data_bytes, std::uint64_t declared_length) {
  std::vector<std::byte> bytes(8 + header.size() + data_bytes);
  for (int i = 0; i < 8; ++i) bytes[i] = static_cast<std::byte>((declared_length >> (8 * i)) & 0xff);
  std::memcpy(bytes.data() + 8, header.data(), header.size());
  return bytes;
}

std::vector<std::byte> make_file(const std::string& header, std::size_t data_bytes) {
  return make_file(header, data_bytes, header.size());
}

// Expects parsing to fail with a message that contains `expected`.
void expect_rejected(const std::vector<std::byte>& bytes, const std::string& expected) {
  try {
    parse_safetensors_header(bytes, "bad.safetensors");
    FAIL() << "accepted a malformed file; expected an error containing: " << expected;
  } catch (const Error& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find("bad.safetensors"), std::string::npos) << message;
    EXPECT_NE(message.find(expected), std::string::npos) << message;
  }
}

const std::string kValidHeader =
    R"({"__metadata__":{"format":"pt"},"a":{"dtype":"F32","shape":[2,3],"data_offsets":[0,24]},)"
    R"("b":{"dtype":"BF16","shape":[4],"data_offsets":[24,32]}})";

TEST(SafetensorsHeader, AcceptsAValidFile) {
  const auto header = parse_safetensors_header(make_file(kValidHeader, 32), "ok.safetensors");
  ASSERT_EQ(header.tensors.size(), 2u);
  EXPECT_EQ(header.tensors[0].name, "a");
  EXPECT_EQ(header.tensors[0].dtype, DType::F32);
  EXPECT_EQ(header.tensors[0].shape, (std::vector<std::int64_t>{2, 3}));
  EXPECT_EQ(header.tensors[1].data_begin, 24u);
  EXPECT_EQ(header.tensors[1].nbytes, 8u);
  EXPECT_EQ(header.metadata.at("format"), "pt");
  EXPECT_EQ(header.data_offset, 8 + kValidHeader.size());
}

TEST(SafetensorsHeader, AcceptsEmptyTensorsAndScalars) {
  const std::string header =
      R"({"s":{"dtype":"F32","shape":[],"data_offsets":[0,4]},"e":{"dtype":"F16","shape":[0,5],"data_offsets":[4,4]}})";
  const auto parsed = parse_safetensors_header(make_file(header, 4), "ok.safetensors");
  EXPECT_EQ(parsed.tensors.size(), 2u);
  EXPECT_EQ(parsed.tensors[0].num_elements(), 1);
  EXPECT_EQ(parsed.tensors[1].num_elements(), 0);
}

TEST(SafetensorsHeader, PassesThroughNonFloatDtypes) {
  const std::string header =
      R"({"u":{"dtype":"U8","shape":[3],"data_offsets":[0,3]},"f8":{"dtype":"F8_E4M3","shape":[2],"data_offsets":[3,5]},)"
      R"("i":{"dtype":"I64","shape":[1],"data_offsets":[8,16]},"w":{"dtype":"U32","shape":[2],"data_offsets":[16,24]}})";
  const auto parsed = parse_safetensors_header(make_file(header, 24), "ok.safetensors");
  EXPECT_EQ(parsed.tensors[1].dtype, DType::F8_E4M3);
  EXPECT_EQ(parsed.tensors[2].dtype, DType::I64);
}

TEST(SafetensorsHeader, RejectsTooShortFile) { expect_rejected(std::vector<std::byte>(5), "too short"); }

TEST(SafetensorsHeader, RejectsTinyHeaderLength) { expect_rejected(make_file("{", 0, 1), "too small"); }

TEST(SafetensorsHeader, RejectsHugeHeaderLength) { expect_rejected(make_file("{}", 0, 200'000'000), "100 MB"); }

TEST(SafetensorsHeader, RejectsHeaderPastEndOfFile) { expect_rejected(make_file("{}", 0, 64), "truncated"); }

TEST(SafetensorsHeader, RejectsInvalidJson) { expect_rejected(make_file("{\"a\":", 0), "not valid UTF-8 JSON"); }

TEST(SafetensorsHeader, RejectsInvalidUtf8) {
  expect_rejected(make_file("{\"\xff\xfe\":{}}", 0), "not valid UTF-8 JSON");
}

TEST(SafetensorsHeader, RejectsNonObjectHeader) { expect_rejected(make_file("[1,2]", 0), "must be a JSON object"); }

TEST(SafetensorsHeader, RejectsUnknownDtype) {
  expect_rejected(make_file(R"({"t":{"dtype":"Q4_K","shape":[1],"data_offsets":[0,1]}})", 1), "unknown dtype");
}

TEST(SafetensorsHeader, RejectsMissingField) {
  expect_rejected(make_file(R"({"t":{"dtype":"F32","shape":[1]}})", 4), "missing \"data_offsets\"");
}

TEST(SafetensorsHeader, RejectsNegativeDimension) {
  expect_rejected(make_file(R"({"t":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}})", 4), "non-negative");
}

TEST(SafetensorsHeader, RejectsFractionalDimension) {
  expect_rejected(make_file(R"({"t":{"dtype":"F32","shape":[1.5],"data_offsets":[0,4]}})", 4), "non-negative");
}

TEST(SafetensorsHeader, RejectsElementCountOverflow) {
  expect_rejected(
      make_file(R"({"t":{"dtype":"F32","shape":[4294967296,4294967296,16],"data_offsets":[0,4]}})", 4),
      "overflows");
}

TEST(SafetensorsHeader, RejectsByteSizeOverflow) {
  expect_rejected(make_file(R"({"t":{"dtype":"F64","shape":[4611686018427387904],"data_offsets":[0,4]}})", 4),
                  "overflows");
}

TEST(SafetensorsHeader, RejectsOffsetsBeyondData) {
  expect_rejected(make_file(R"({"t":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}})", 8), "beyond the data");
}

TEST(SafetensorsHeader, RejectsReversedOffsets) {
  expect_rejected(make_file(R"({"t":{"dtype":"F32","shape":[0],"data_offsets":[8,4]}})", 8), "begin 8 > end 4");
}

TEST(SafetensorsHeader, RejectsSizeMismatch) {
  expect_rejected(make_file(R"({"t":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}})", 8), "needs 12");
}

TEST(SafetensorsHeader, RejectsWrongOffsetCount) {
  expect_rejected(make_file(R"({"t":{"dtype":"F32","shape":[1],"data_offsets":[0,4,8]}})", 8), "exactly 2");
}

TEST(SafetensorsHeader, RejectsOverlappingTensors) {
  expect_rejected(make_file(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
                            R"("b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}})",
                            12),
                  "overlap");
}

TEST(SafetensorsHeader, RejectsNonStringMetadata) {
  expect_rejected(make_file(R"({"__metadata__":{"n":1}})", 0), "must be a string");
  expect_rejected(make_file(R"({"__metadata__":[1]})", 0), "object of strings");
}

TEST(SafetensorsHeader, RejectsNonObjectEntry) { expect_rejected(make_file(R"({"t":5})", 0), "JSON object"); }

TEST(SafetensorsHeader, RejectsUnexpectedKey) {
  expect_rejected(make_file(R"({"t":{"dtype":"F32","shape":[1],"data_offsets":[0,4],"x":1}})", 4), "unexpected key");
}

// Every prefix of a valid file must be rejected cleanly or parsed consistently; never crash.
TEST(SafetensorsHeader, TruncationAtEveryOffsetIsRejectedOrConsistent) {
  const auto full = make_file(kValidHeader, 32);
  for (std::size_t length = 0; length < full.size(); ++length) {
    std::vector<std::byte> prefix(full.begin(), full.begin() + static_cast<std::ptrdiff_t>(length));
    EXPECT_THROW(parse_safetensors_header(prefix, "bad.safetensors"), Error) << "length " << length;
  }
}

TEST(SafetensorsFile, TruncatedRealModelIsRejected) {
  const auto source = test::shared_path("models/stories260k/model.safetensors");
  std::ifstream in(source, std::ios::binary);
  const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  ASSERT_GT(bytes.size(), 1000u);
  test::ScratchDir scratch;
  // Many cut points: inside the length, inside the header, inside the data, one byte short.
  std::vector<std::size_t> cuts = {0, 3, 8, 20, 100, bytes.size() / 2, bytes.size() - 1};
  for (std::size_t step = 997; step < bytes.size(); step += 9973) cuts.push_back(step);
  for (std::size_t cut : cuts) {
    const auto path = scratch / "cut.safetensors";
    std::ofstream(path, std::ios::binary).write(bytes.data(), static_cast<std::streamsize>(cut));
    EXPECT_THROW(SafetensorsFile{path}, Error) << "cut at " << cut;
  }
}

}  // namespace
}  // namespace swan
