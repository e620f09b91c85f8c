#include "swan/tokenizer/normalizer.h"

#include <utf8proc.h>

#include <cstdlib>
#include <memory>

#include "swan/core/error.h"
#include "swan/io/json_excerpt.h"

namespace swan {
namespace {

void add_forms(const nlohmann::json& spec, std::string_view where, std::vector<Normalizer::Form>& forms) {
  if (spec.is_null()) return;
  if (!spec.is_object() || !spec.contains("type") || !spec["type"].is_string()) {
    fail("{}: normalizer must be null or an object with a \"type\"", where);
  }
  const auto type = spec["type"].get<std::string>();
  if (type == "NFC") {
    forms.push_back(Normalizer::Form::nfc);
  } else if (type == "NFD") {
    forms.push_back(Normalizer::Form::nfd);
  } else if (type == "NFKC") {
    forms.push_back(Normalizer::Form::nfkc);
  } else if (type == "NFKD") {
    forms.push_back(Normalizer::Form::nfkd);
  } else if (type == "Sequence") {
    if (!spec.contains("normalizers") || !spec["normalizers"].is_array()) {
      fail("{}: Sequence normalizer needs a \"normalizers\" array", where);
    }
    for (const auto& inner : spec["normalizers"]) add_forms(inner, where, forms);
  } else {
    fail("{}: normalizer type {} is not supported by swan (supported: NFC, NFD, NFKC, NFKD, "
         "Sequence)",
         where, text_excerpt(type));
  }
}

utf8proc_option_t options_for(Normalizer::Form form) {
  const int stable = UTF8PROC_STABLE;
  switch (form) {
    case Normalizer::Form::nfc: return static_cast<utf8proc_option_t>(stable | UTF8PROC_COMPOSE);
    case Normalizer::Form::nfd: return static_cast<utf8proc_option_t>(stable | UTF8PROC_DECOMPOSE);
    case Normalizer::Form::nfkc:
      return static_cast<utf8proc_option_t>(stable | UTF8PROC_COMPOSE | UTF8PROC_COMPAT);
    case Normalizer::Form::nfkd:
      return static_cast<utf8proc_option_t>(stable | UTF8PROC_DECOMPOSE | UTF8PROC_COMPAT);
  }
  return UTF8PROC_STABLE;
}

bool is_ascii(std::string_view text) {
  for (const char c : text) {
    if (static_cast<unsigned char>(c) >= 0x80) return false;
  }
  return true;
}

}  // namespace

Normalizer Normalizer::from_json(const nlohmann::json& spec, std::string_view where) {
  Normalizer normalizer;
  add_forms(spec, where, normalizer.forms_);
  return normalizer;
}

std::string Normalizer::apply(std::string_view text) const {
  // ASCII is invariant under all four forms; most evaluation text is ASCII, so skip the copy
  // through utf8proc.
  if (forms_.empty() || is_ascii(text)) return std::string(text);
  std::string current(text);
  for (const Form form : forms_) {
    utf8proc_uint8_t* mapped = nullptr;
    const auto length = utf8proc_map(reinterpret_cast<const utf8proc_uint8_t*>(current.data()),
                                     static_cast<utf8proc_ssize_t>(current.size()), &mapped,
                                     options_for(form));
    if (length < 0) fail("Unicode normalization failed: {}", utf8proc_errmsg(length));
    std::unique_ptr<utf8proc_uint8_t, decltype(&std::free)> owner(mapped, &std::free);
    current.assign(reinterpret_cast<const char*>(mapped), static_cast<std::size_t>(length));
  }
  return current;
}

}  // namespace swan
