#include "swan/tokenizer/pre_tokenizer.h"

#include <cctype>

#include "swan/core/error.h"
#include "swan/io/json_excerpt.h"

namespace swan {
namespace {

// GPT-2's word pattern, used by ByteLevel when use_regex is true.
constexpr std::string_view kGpt2Pattern =
    R"('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+)";

struct Segment {
  std::size_t begin;
  std::size_t end;
  bool is_match;
};

// The text cut into alternating gaps and matches covering all of it, as HF's find_matches.
std::vector<Segment> segments(const Regex& pattern, std::string_view text, bool invert) {
  std::vector<Segment> out;
  std::size_t previous = 0;
  for (const auto& match : pattern.find_all(text)) {
    if (match.begin > previous) out.push_back({previous, match.begin, invert});
    out.push_back({match.begin, match.end, !invert});
    previous = match.end;
  }
  if (previous < text.size()) out.push_back({previous, text.size(), invert});
  return out;
}

// Applies a split behavior to segments (same rules as HF's SplitDelimiterBehavior).
std::vector<Segment> apply_behavior(std::vector<Segment> in, SplitBehavior behavior) {
  std::vector<Segment> out;
  out.reserve(in.size());
  switch (behavior) {
    case SplitBehavior::isolated:
      return in;
    case SplitBehavior::removed:
      for (const auto& s : in) {
        if (!s.is_match) out.push_back(s);
      }
      return out;
    case SplitBehavior::merged_with_previous: {
      bool previous_match = false;
      for (const auto& s : in) {
        if (s.is_match && !previous_match && !out.empty()) {
          out.back().end = s.end;
        } else {
          out.push_back({s.begin, s.end, false});
        }
        previous_match = s.is_match;
      }
      return out;
    }
    case SplitBehavior::merged_with_next: {
      bool previous_match = false;
      for (auto it = in.rbegin(); it != in.rend(); ++it) {
        if (it->is_match && !previous_match && !out.empty()) {
          out.back().begin = it->begin;
        } else {
          out.push_back({it->begin, it->end, false});
        }
        previous_match = it->is_match;
      }
      return {out.rbegin(), out.rend()};
    }
    case SplitBehavior::contiguous:
      for (const auto& s : in) {
        if (!out.empty() && out.back().is_match == s.is_match) {
          out.back().end = s.end;
        } else {
          out.push_back(s);
        }
      }
      return out;
  }
  return in;
}

SplitBehavior parse_behavior(const nlohmann::json& spec, std::string_view where) {
  const auto name = spec.value("behavior", std::string("Isolated"));
  if (name == "Removed") return SplitBehavior::removed;
  if (name == "Isolated") return SplitBehavior::isolated;
  if (name == "MergedWithPrevious") return SplitBehavior::merged_with_previous;
  if (name == "MergedWithNext") return SplitBehavior::merged_with_next;
  if (name == "Contiguous") return SplitBehavior::contiguous;
  fail("{}: Split pre_tokenizer has unknown behavior {}", where, text_excerpt(name));
}

// A literal pattern as a regex: ASCII punctuation escaped (\Q..\E would break on "\E").
std::string quote_literal(std::string_view literal) {
  std::string out;
  for (const char c : literal) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x80 && !std::isalnum(u)) out.push_back('\\');
    out.push_back(c);
  }
  return out;
}

}  // namespace

void SplitStep::apply(std::string_view text, std::vector<std::string>& out) const {
  for (const auto& s : apply_behavior(segments(pattern, text, invert), behavior)) {
    if (s.end > s.begin) out.emplace_back(text.substr(s.begin, s.end - s.begin));
  }
}

void ByteLevelStep::apply(std::string_view text, std::vector<std::string>& out) const {
  std::string prefixed;
  if (add_prefix_space && !text.starts_with(' ')) {
    prefixed.reserve(text.size() + 1);
    prefixed.push_back(' ');
    prefixed.append(text);
    text = prefixed;
  }
  if (!gpt2_pattern) {
    if (!text.empty()) out.emplace_back(text);
    return;
  }
  for (const auto& s : segments(*gpt2_pattern, text, false)) {
    out.emplace_back(text.substr(s.begin, s.end - s.begin));
  }
}

PreTokenizer PreTokenizer::from_json(const nlohmann::json& spec, std::string_view where) {
  PreTokenizer pre_tokenizer;
  pre_tokenizer.add_step(spec, where);
  return pre_tokenizer;
}

void PreTokenizer::add_step(const nlohmann::json& spec, std::string_view where) {
  if (spec.is_null()) return;
  if (!spec.is_object() || !spec.contains("type") || !spec["type"].is_string()) {
    fail("{}: pre_tokenizer must be null or an object with a \"type\"", where);
  }
  const auto type = spec["type"].get<std::string>();
  if (type == "Sequence") {
    if (!spec.contains("pretokenizers") || !spec["pretokenizers"].is_array()) {
      fail("{}: Sequence pre_tokenizer needs a \"pretokenizers\" array", where);
    }
    for (const auto& inner : spec["pretokenizers"]) add_step(inner, where);
  } else if (type == "Split") {
    const auto pattern = spec.value("pattern", nlohmann::json());
    std::string regex;
    if (pattern.is_object() && pattern.contains("Regex") && pattern["Regex"].is_string()) {
      regex = pattern["Regex"].get<std::string>();
    } else if (pattern.is_object() && pattern.contains("String") && pattern["String"].is_string()) {
      regex = quote_literal(pattern["String"].get<std::string>());
    } else {
      fail("{}: Split pre_tokenizer needs \"pattern\": {{\"Regex\": ...}} or {{\"String\": ...}}", where);
    }
    auto step = std::make_unique<SplitStep>(SplitStep{Regex(regex, where), parse_behavior(spec, where),
                                                      spec.value("invert", false)});
    steps_.push_back({std::move(step), nullptr});
  } else if (type == "ByteLevel") {
    auto step = std::make_unique<ByteLevelStep>();
    step->add_prefix_space = spec.value("add_prefix_space", false);
    if (spec.value("use_regex", true)) step->gpt2_pattern = std::make_unique<Regex>(kGpt2Pattern, where);
    steps_.push_back({nullptr, std::move(step)});
    byte_level_ = true;
  } else {
    fail("{}: pre_tokenizer type {} is not supported by swan (supported: Sequence, Split, "
         "ByteLevel)",
         where, text_excerpt(type));
  }
}

std::vector<std::string> PreTokenizer::split(std::string_view text) const {
  std::vector<std::string> words;
  if (text.empty()) return words;
  words.emplace_back(text);
  for (const auto& step : steps_) {
    std::vector<std::string> next;
    next.reserve(words.size() * 2);
    for (const auto& word : words) {
      if (step.split) {
        step.split->apply(word, next);
      } else {
        step.byte_level->apply(word, next);
      }
    }
    words = std::move(next);
  }
  return words;
}

}  // namespace swan
