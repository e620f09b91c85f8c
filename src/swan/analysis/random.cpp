#include "swan/analysis/random.h"

#include <cmath>
#include <numbers>

namespace swan::analysis {

std::uint64_t fnv1a64(std::string_view bytes, std::uint64_t hash) {
  for (const char c : bytes) {
    hash ^= static_cast<unsigned char>(c);
    hash *= 0x100000001b3ull;
  }
  return hash;
}

Random Random::for_tensor(std::uint64_t seed, std::string_view tensor_name, std::string_view purpose) {
  std::uint64_t h = fnv1a64(tensor_name);
  h = fnv1a64("/", h);
  h = fnv1a64(purpose, h);
  Random mix(seed ^ (h * 0x9e3779b97f4a7c15ull));
  mix.next_u64();  // decorrelate nearby seeds
  return Random(mix.next_u64());
}

std::uint64_t Random::next_u64() {
  std::uint64_t z = (state_ += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

float Random::uniform_float() { return static_cast<float>(next_u64() >> 40) * 0x1.0p-24f; }

double Random::normal() {
  // u1 in (0, 1] so the log is finite.
  const double u1 = (static_cast<double>(next_u64() >> 11) + 1.0) * 0x1.0p-53;
  const double u2 = static_cast<double>(next_u64() >> 11) * 0x1.0p-53;
  return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * std::numbers::pi * u2);
}

namespace {

// Marsaglia's polar method: a pair from one logarithm and one square root (no sine or
// cosine), at the price of rejecting 21 % of the points, ~2x faster than Box-Muller here
// and the same distribution. The sketches draw 229k values per 896-wide matrix.
// `uniform` gives values in [-1, 1).
template <typename T, typename Uniform>
void fill_polar(std::span<T> out, Uniform uniform) {
  std::size_t i = 0;
  while (i < out.size()) {
    const T u = uniform(), v = uniform();
    const T s = u * u + v * v;
    if (s >= T(1) || s == T(0)) continue;
    const T f = std::sqrt(T(-2) * std::log(s) / s);
    out[i++] = u * f;
    if (i < out.size()) out[i++] = v * f;
  }
}

}  // namespace

void Random::fill_normal(std::span<double> out) {
  fill_polar(out, [this] { return static_cast<double>(next_u64() >> 11) * 0x1.0p-52 - 1.0; });
}

void Random::fill_normal(std::span<float> out) {
  fill_polar(out, [this] { return static_cast<float>(next_u64() >> 40) * 0x1.0p-23f - 1.0f; });  // exact
}

}  // namespace swan::analysis
