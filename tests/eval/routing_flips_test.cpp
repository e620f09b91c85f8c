// RoutingFlipCounter on hand-made routings.
#include "swan/eval/routing_flips.h"

#include <gtest/gtest.h>

#include "swan/core/error.h"

namespace swan::eval {
namespace {

using inference::LayerRouting;

TEST(RoutingFlips, CountsTokensWhoseExpertSetDiffersPerMoeLayer) {
  // Layer 0 dense; layer 1 MoE with top-2 over three tokens; layer 2 MoE.
  std::vector<LayerRouting> base(3), model(3);
  base[1].experts = {0, 3, 1, 2, 4, 5};
  model[1].experts = {0, 3, 1, 4, 4, 5};  // token 1 changed {1,2} -> {1,4}
  base[2].experts = {2, 7, 0, 1, 3, 6};
  model[2].experts = {2, 7, 0, 1, 3, 6};
  RoutingFlipCounter counter;
  counter.add(base, model, 2);
  model[2].experts = {2, 6, 0, 1, 3, 6};  // a second pass: one change in layer 2
  counter.add(base, model, 2);
  ASSERT_EQ(counter.layers().size(), 2u);
  EXPECT_EQ(counter.layers()[0].layer, 1u);
  EXPECT_EQ(counter.layers()[0].changed, 2u);  // token 1, in both passes
  EXPECT_EQ(counter.layers()[0].tokens, 6u);
  EXPECT_DOUBLE_EQ(counter.layers()[0].fraction(), 2.0 / 6.0);
  EXPECT_EQ(counter.layers()[1].layer, 2u);
  EXPECT_EQ(counter.layers()[1].changed, 1u);
}

TEST(RoutingFlips, RefusesRoutingsThatDoNotLineUp) {
  std::vector<LayerRouting> base(2), model(2);
  base[0].experts = {0, 1};
  model[0].experts = {0, 1, 2, 3};
  RoutingFlipCounter counter;
  EXPECT_THROW(counter.add(base, model, 2), Error);
  EXPECT_THROW(counter.add(base, std::vector<LayerRouting>(3), 2), Error);
}

}  // namespace
}  // namespace swan::eval
