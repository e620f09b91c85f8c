// How the affine quantizer chooses each group's scale and bias. Both methods write the same
// MLX affine format (codes, scale, bias per group; w_hat = scale * q + bias), so a reader
// cannot tell them apart and needs no change.
//   minmax:    MLX's own rule (the group's min/max, zero on the lattice), bit-exact with
//              mlx_lm.convert; see affine.h.
//   optimized: a per-group search for the scale and bias with the lowest weighted
//              reconstruction error; see affine_optimized.h.
#pragma once

#include <string>
#include <string_view>

namespace swan::quant {

enum class ScaleMethod { minmax, optimized };

// What the command line uses unless --scales says otherwise. Library code (a QuantPlan, the
// quantize_affine overloads without a method) always defaults to minmax, MLX's own rule.
inline constexpr ScaleMethod kDefaultScaleMethod = ScaleMethod::minmax;

// "minmax" or "optimized"; anything else throws swan::Error naming the accepted values.
ScaleMethod parse_scale_method(std::string_view name);
std::string to_string(ScaleMethod method);

}  // namespace swan::quant
