// GGUF container: encode/parse round trips and hand-built malformed files for each check
// the reader makes (the ones llama.cpp's gguf.cpp makes), plus every truncation of a real
// file's header: all must throw swan::Error, none may crash.
#include <gtest/gtest.h>

#include <cstring>
#include <fstream>

#include "support/fixtures.h"
#include "swan/core/error.h"
#include "swan/gguf/reader.h"
#include "swan/gguf/writer.h"

namespace swan::gguf {
namespace {

using quant::GgmlType;

Metadata sample_metadata() {
  Metadata m;
  m.set("general.architecture", Value::string("llama"));
  m.set("a.u32", Value::u32(7));
  m.set("a.f32", Value::f32(0.5f));
  m.set("a.flag", Value::boolean(true));
  m.set("a.i32s", Value::array(ValueType::INT32, {std::int32_t{-1}, std::int32_t{2}}));
  m.set("a.strings", Value::array(ValueType::STRING, {std::string("x"), std::string("")}));
  m.set("a.u64", {ValueType::UINT64, std::uint64_t{1} << 40, {}, {}});
  return m;
}

// A whole file: header plus zero-filled, padded blobs.
std::vector<std::byte> sample_file(const Metadata& m, const std::vector<TensorDeclaration>& tensors) {
  std::vector<TensorRecord> records;
  auto bytes = encode_header(m, tensors, &records);
  for (const auto& r : records) bytes.resize(bytes.size() + pad_to(r.nbytes(), 32));
  return bytes;
}

const std::vector<TensorDeclaration> kTensors{{"a", {64, 3}, GgmlType::Q8_0}, {"b", {5}, GgmlType::F32},
                                              {"c", {256, 2}, GgmlType::Q4_K}};

std::string error_of(std::span<const std::byte> bytes) {
  try {
    parse_gguf(bytes, "test.gguf");
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST(GgufReader, RoundTripsMetadataAndTensorRecords) {
  const Metadata m = sample_metadata();
  const auto bytes = sample_file(m, kTensors);
  const auto parsed = parse_gguf(bytes, "test.gguf");
  EXPECT_EQ(parsed.version, 3u);
  ASSERT_EQ(parsed.metadata.entries.size(), m.entries.size());
  for (std::size_t i = 0; i < m.entries.size(); ++i) {
    EXPECT_EQ(parsed.metadata.entries[i].first, m.entries[i].first);
    EXPECT_TRUE(parsed.metadata.entries[i].second == m.entries[i].second) << m.entries[i].first;
  }
  ASSERT_EQ(parsed.tensors.size(), 3u);
  // 3 rows x 2 blocks x 34 bytes = 204 -> padded 224; 5 floats = 20 -> 32.
  EXPECT_EQ(parsed.tensors[0].offset, 0u);
  EXPECT_EQ(parsed.tensors[1].offset, 224u);
  EXPECT_EQ(parsed.tensors[2].offset, 256u);
  EXPECT_EQ(parsed.tensors[2].nbytes(), 288u);
  EXPECT_EQ(parsed.data_offset % 32, 0u);
  EXPECT_EQ(parsed.data_offset + 256 + 288, bytes.size());
}

// Writes a little-endian value at `at` of `bytes`.
template <typename T>
void poke(std::vector<std::byte>& bytes, std::size_t at, T value) {
  std::memcpy(bytes.data() + at, &value, sizeof(T));
}

TEST(GgufReader, RejectsEachMalformedHeaderWithAClearMessage) {
  const auto good = sample_file(sample_metadata(), kTensors);
  auto expect_error = [](std::vector<std::byte> bytes, const std::string& part) {
    const std::string message = error_of(bytes);
    EXPECT_NE(message.find(part), std::string::npos) << "got: " << message;
  };
  {
    auto b = good;
    b[0] = std::byte{'X'};
    expect_error(b, "magic");
  }
  for (const std::uint32_t version : {1u, 4u}) {
    auto b = good;
    poke(b, 4, version);
    expect_error(b, "version");
  }
  {
    auto b = good;
    poke(b, 4, std::uint32_t{0x03000000});
    expect_error(b, "byte-swapped");
  }
  {
    auto b = good;
    poke<std::int64_t>(b, 8, -1);
    expect_error(b, "negative");
  }
  {
    auto b = good;
    poke<std::int64_t>(b, 16, std::int64_t{1} << 40);
    expect_error(b, "cannot fit");
  }
  auto with = [](Metadata m, std::vector<TensorDeclaration> t) { return sample_file(m, t); };
  {
    // The encoder refuses a UINT64 alignment, so write it under another key of the same
    // length and rename the key in the bytes.
    Metadata m = sample_metadata();
    m.set("general.alignmenX", {ValueType::UINT64, std::uint64_t{32}, {}, {}});
    auto b = with(m, kTensors);
    const std::string_view key = "general.alignmenX";
    for (std::size_t at = 0; at + key.size() <= b.size(); ++at)
      if (std::memcmp(b.data() + at, key.data(), key.size()) == 0) b[at + key.size() - 1] = std::byte{'t'};
    expect_error(b, "general.alignment must be UINT32");
  }
  {
    // A 32-byte gap before the second blob.
    auto b = good;
    const auto parsed = parse_gguf(good, "x");
    // The offset field of tensor "b" is the last 8 bytes of its record; find it by value.
    const std::uint64_t offset = parsed.tensors[1].offset;
    for (std::size_t at = 24; at + 8 <= parsed.data_offset; ++at) {
      std::uint64_t v;
      std::memcpy(&v, b.data() + at, 8);
      if (v == offset) {
        poke<std::uint64_t>(b, at, offset + 32);
        break;
      }
    }
    expect_error(b, "has offset");
  }
  {
    auto b = good;  // key type 99
    poke<std::int32_t>(b, 24 + 8 + std::strlen("general.architecture"), 99);
    expect_error(b, "unknown value type");
  }
  {
    auto b = good;  // truncated inside the data section
    b.resize(b.size() - 300);
    expect_error(b, "truncated");
  }
}

TEST(GgufWriter, RefusesWhatLlamaCppWouldReject) {
  const Metadata m = sample_metadata();
  EXPECT_THROW(encode_header(m, {{"a", {48, 2}, GgmlType::Q4_K}}), Error);  // 48 % 256
  EXPECT_THROW(encode_header(m, {{"a", {32}, GgmlType::F32}, {"a", {32}, GgmlType::F32}}), Error);
  EXPECT_THROW(encode_header(m, {{std::string(64, 'n'), {32}, GgmlType::F32}}), Error);
  Metadata nested = m;
  nested.set("bad", Value::array(ValueType::ARRAY, {}));
  EXPECT_THROW(encode_header(nested, {}), Error);
}

TEST(GgufWriter, WritesAtomicallyAndRefusesToOverwrite) {
  const test::ScratchDir dir;
  const auto path = dir / "out.gguf";
  {
    GgufWriter writer(path, sample_metadata(), {{"b", {5}, GgmlType::F32}}, false);
    const std::vector<float> values{1, 2, 3, 4, 5};
    writer.write("b", std::as_bytes(std::span(values)));
    EXPECT_FALSE(std::filesystem::exists(path));  // still under its temporary name
    writer.commit();
  }
  const GgufFile file(path);
  ASSERT_EQ(file.tensors().size(), 1u);
  float third;
  std::memcpy(&third, file.data(file.tensors()[0]).data() + 8, 4);
  EXPECT_EQ(third, 3.0f);
  EXPECT_EQ(file.file_size() % 32, 0u);  // the last blob is padded too
  EXPECT_THROW(GgufWriter(path, sample_metadata(), {}, false), Error);
  {
    GgufWriter abandoned(path, sample_metadata(), {{"b", {5}, GgmlType::F32}}, true);
  }  // never committed: the old file stays, no temporary file is left
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(dir.path()), {}), 1);
  EXPECT_EQ(GgufFile(path).tensors().size(), 1u);
}

TEST(GgufWriter, PiecesOfATensorWriteTheSameFileAsTheWholeAndMayNotExceedIt) {
  const test::ScratchDir dir;
  const std::vector<float> b{1, 2, 3, 4, 5}, c{6, 7, 8};
  const std::vector<TensorDeclaration> tensors{{"b", {5}, GgmlType::F32}, {"c", {3}, GgmlType::F32}};
  auto bytes = [](const std::vector<float>& v) { return std::as_bytes(std::span(v)); };
  {
    GgufWriter whole(dir / "whole.gguf", sample_metadata(), tensors, false);
    whole.write("b", bytes(b));
    whole.write("c", bytes(c));
    whole.commit();
  }
  {
    GgufWriter pieces(dir / "pieces.gguf", sample_metadata(), tensors, false);
    pieces.write_piece("b", bytes(b).subspan(0, 4));
    pieces.write_piece("b", bytes(b).subspan(4, 0));
    pieces.write_piece("b", bytes(b).subspan(4, 13));
    EXPECT_THROW(pieces.write_piece("c", bytes(c)), Error);  // "b" is not complete yet
    pieces.write_piece("b", bytes(b).subspan(17));
    pieces.write_piece("c", bytes(c));
    pieces.commit();
  }
  std::ifstream a(dir / "whole.gguf", std::ios::binary), p(dir / "pieces.gguf", std::ios::binary);
  const std::string whole_bytes((std::istreambuf_iterator<char>(a)), {});
  const std::string piece_bytes((std::istreambuf_iterator<char>(p)), {});
  EXPECT_FALSE(whole_bytes.empty());
  EXPECT_EQ(whole_bytes, piece_bytes);
  {
    GgufWriter writer(dir / "over.gguf", sample_metadata(), tensors, false);
    writer.write_piece("b", bytes(b).subspan(0, 8));
    EXPECT_THROW(writer.write_piece("b", bytes(b)), Error);  // 8 + 20 > 20 bytes
    EXPECT_THROW(writer.write("b", bytes(b)), Error);        // a whole tensor after a piece of it
    writer.write_piece("b", bytes(b).subspan(8));
    EXPECT_THROW(writer.commit(), Error);  // "c" is missing
  }
}

TEST(GgufReader, EveryTruncationOfARealHeaderThrows) {
  SWAN_REQUIRE_FIXTURE(gguf_goldens, "golden/gguf/README.md");
  (void)gguf_goldens;
  std::ifstream in(test::shared_path("golden/gguf/llama-synth/llama-synth-Q4_K.gguf"), std::ios::binary);
  std::vector<char> chars((std::istreambuf_iterator<char>(in)), {});
  std::vector<std::byte> bytes(chars.size());
  std::memcpy(bytes.data(), chars.data(), chars.size());
  const auto full = parse_gguf(bytes, "full");
  for (std::size_t size = 0; size < full.data_offset; size += 7) {
    EXPECT_THROW(parse_gguf(std::span(bytes).first(size), "truncated"), Error) << size;
  }
}

}  // namespace
}  // namespace swan::gguf
