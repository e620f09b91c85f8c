// GGUF encoding and the atomic streaming writer; see writer.h.
#include "swan/gguf/writer.h"


#include <cerrno>
#include <cstring>
#include <random>
#include <set>

#include "swan/core/error.h"

namespace swan::gguf {
namespace fs = std::filesystem;
namespace {

class Encoder {
 public:
  template <typename T>
  void put(T value) {
    append(&value, sizeof(T));
  }
  void put_string(std::string_view s) {
    put<std::uint64_t>(s.size());
    append(s.data(), s.size());
  }
  void put_scalar(ValueType type, const Scalar& s, std::string_view key) {
    auto check = [&]<typename T>() -> const T& {
      if (!std::holds_alternative<T>(s))
        fail("GGUF metadata '{}': the value does not hold a {} as its type says", key, value_type_name(type));
      return std::get<T>(s);
    };
    switch (type) {
      case ValueType::UINT8: put(check.template operator()<std::uint8_t>()); break;
      case ValueType::INT8: put(check.template operator()<std::int8_t>()); break;
      case ValueType::UINT16: put(check.template operator()<std::uint16_t>()); break;
      case ValueType::INT16: put(check.template operator()<std::int16_t>()); break;
      case ValueType::UINT32: put(check.template operator()<std::uint32_t>()); break;
      case ValueType::INT32: put(check.template operator()<std::int32_t>()); break;
      case ValueType::FLOAT32: put(check.template operator()<float>()); break;
      case ValueType::BOOL: put<std::uint8_t>(check.template operator()<bool>() ? 1 : 0); break;
      case ValueType::STRING: put_string(check.template operator()<std::string>()); break;
      case ValueType::UINT64: put(check.template operator()<std::uint64_t>()); break;
      case ValueType::INT64: put(check.template operator()<std::int64_t>()); break;
      case ValueType::FLOAT64: put(check.template operator()<double>()); break;
      case ValueType::ARRAY: fail("GGUF metadata '{}': nested arrays are not allowed", key);
    }
  }
  void pad(std::uint64_t alignment) { bytes_.resize(static_cast<std::size_t>(pad_to(bytes_.size(), alignment))); }
  std::vector<std::byte> take() { return std::move(bytes_); }

 private:
  void append(const void* data, std::size_t size) {
    const std::size_t at = bytes_.size();
    bytes_.resize(at + size);
    if (size > 0) std::memcpy(bytes_.data() + at, data, size);
  }

  std::vector<std::byte> bytes_;
};

std::uint64_t alignment_of(const Metadata& metadata) {
  const Value* a = metadata.find("general.alignment");
  if (a == nullptr) return kDefaultAlignment;
  const auto v = metadata.get_u32("general.alignment");
  if (!v || *v == 0 || (*v & (*v - 1)) != 0) fail("general.alignment must be a UINT32 power of two");
  return *v;
}

}  // namespace

std::vector<std::byte> encode_header(const Metadata& metadata, const std::vector<TensorDeclaration>& tensors,
                                     std::vector<TensorRecord>* records) {
  const std::uint64_t alignment = alignment_of(metadata);
  Encoder out;
  out.put(kMagic);
  out.put(kVersion);
  out.put<std::int64_t>(static_cast<std::int64_t>(tensors.size()));
  out.put<std::int64_t>(static_cast<std::int64_t>(metadata.entries.size()));
  std::set<std::string_view> keys;
  for (const auto& [key, value] : metadata.entries) {
    if (key.empty() || !keys.insert(key).second) fail("GGUF metadata key '{}' is empty or repeated", key);
    out.put_string(key);
    out.put(static_cast<std::int32_t>(value.type));
    if (value.type != ValueType::ARRAY) {
      out.put_scalar(value.type, value.scalar, key);
      continue;
    }
    if (value.element_type == ValueType::ARRAY) fail("GGUF metadata '{}': arrays of arrays are not allowed", key);
    out.put(static_cast<std::int32_t>(value.element_type));
    out.put<std::uint64_t>(value.elements.size());
    for (const auto& e : value.elements) out.put_scalar(value.element_type, e, key);
  }
  std::set<std::string_view> names;
  std::uint64_t offset = 0;
  for (const auto& t : tensors) {
    if (t.name.size() > kMaxNameBytes) fail("GGUF tensor name '{}' is longer than {} bytes", t.name, kMaxNameBytes);
    if (!names.insert(t.name).second) fail("GGUF tensor '{}' declared twice", t.name);
    if (t.ne.empty() || t.ne.size() > kMaxDims) fail("GGUF tensor '{}' has {} dimensions (1 to 4 allowed)", t.name, t.ne.size());
    TensorRecord record{t.name, t.ne, t.type, offset};
    if (record.row_length() % quant::block_elements(t.type) != 0)
      fail("GGUF tensor '{}': row length {} is not a multiple of the {} block size {}", t.name, record.row_length(),
           quant::ggml_type_name(t.type), quant::block_elements(t.type));
    out.put_string(t.name);
    out.put<std::uint32_t>(static_cast<std::uint32_t>(t.ne.size()));
    for (const auto d : t.ne) out.put<std::int64_t>(static_cast<std::int64_t>(d));
    out.put<std::int32_t>(static_cast<std::int32_t>(t.type));
    out.put<std::uint64_t>(offset);
    offset += pad_to(record.nbytes(), alignment);
    if (records) records->push_back(std::move(record));
  }
  out.pad(alignment);
  return out.take();
}

GgufWriter::GgufWriter(const fs::path& path, const Metadata& metadata, std::vector<TensorDeclaration> tensors,
                       bool force)
    : path_(path), alignment_(alignment_of(metadata)) {
  const auto header = encode_header(metadata, tensors, &records_);  // checks everything before a file exists
  std::error_code ec;
  if (fs::exists(path_, ec)) {
    if (fs::is_directory(path_, ec)) fail("output path {} is a directory; give a .gguf file name", path_.string());
    if (!force) fail("output file {} exists; pass --force to replace it", path_.string());
  }
  const fs::path parent = path_.has_parent_path() ? path_.parent_path() : fs::path(".");
  fs::create_directories(parent, ec);
  if (ec) fail("cannot create {}: {}", parent.string(), ec.message());
  std::random_device random;
  temp_ = parent / fmt::format(".{}.swan-tmp-{:08x}", path_.filename().string(), random());
  file_ = std::make_unique<OutputFile>(temp_, OutputFile::Direct{});  // written from the write-behind thread
  put(header, "the header");
}

GgufWriter::~GgufWriter() {
  file_.reset();
  if (!committed_ && !temp_.empty()) {
    std::error_code ignored;
    fs::remove(temp_, ignored);
  }
}

void GgufWriter::put(std::span<const std::byte> bytes, std::string_view what) { file_->append(bytes, what); }

void GgufWriter::write(std::string_view name, std::span<const std::byte> data) {
  const TensorRecord& expected = next_record(name);
  SWAN_CHECK(piece_bytes_ == 0 && expected.nbytes() == data.size(), "{}: tensor '{}' declared {} bytes, got {}",
             path_.string(), name, expected.nbytes(), piece_bytes_ + data.size());
  write_piece(name, data);
}

const TensorRecord& GgufWriter::next_record(std::string_view name) const {
  if (next_ >= records_.size()) fail("{}: tensor '{}' was not declared", path_.string(), name);
  const TensorRecord& expected = records_[next_];
  SWAN_CHECK(expected.name == name, "{}: expected tensor '{}' next, got '{}'", path_.string(), expected.name, name);
  return expected;
}

void GgufWriter::write_piece(std::string_view name, std::span<const std::byte> piece) {
  const TensorRecord& expected = next_record(name);
  SWAN_CHECK(piece_bytes_ + piece.size() <= expected.nbytes(), "{}: tensor '{}' declared {} bytes, got {} or more",
             path_.string(), name, expected.nbytes(), piece_bytes_ + piece.size());
  put(piece, fmt::format("tensor '{}'", name));
  piece_bytes_ += piece.size();
  if (piece_bytes_ < expected.nbytes()) return;
  static const std::byte zeros[256] = {};
  const std::uint64_t padding = pad_to(expected.nbytes(), alignment_) - expected.nbytes();
  for (std::uint64_t left = padding; left > 0;) {
    const std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(left, sizeof(zeros)));
    put(std::span<const std::byte>(zeros, n), "padding");
    left -= n;
  }
  piece_bytes_ = 0;
  ++next_;
}

void GgufWriter::commit() {
  SWAN_CHECK(!committed_, "{} committed twice", path_.string());
  if (next_ != records_.size()) fail("{}: only {} of {} tensors were written", path_.string(), next_, records_.size());
  file_->finish();
  bytes_written_ = file_->bytes_written();
  file_.reset();
  std::error_code ec;
  fs::rename(temp_, path_, ec);
  if (ec) fail("cannot move the finished file into {}: {}", path_.string(), ec.message());
  committed_ = true;
}

}  // namespace swan::gguf
