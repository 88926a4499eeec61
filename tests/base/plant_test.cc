#include "drpc/base/plant.h"

#include <gtest/gtest.h>

#include <string>

namespace drpc::plant {
namespace {

TEST(Plant, EveryNameRoundTripsAndIsUnique) {
  for (int i = 0; i < kSiteCount; ++i) {
    const Site site = static_cast<Site>(i);
    const std::string_view name = Name(site);
    ASSERT_FALSE(name.empty());
    ASSERT_NE(name.find('.'), std::string_view::npos) << name << " lacks its layer";
    const std::optional<Site> back = FromName(name);
    ASSERT_TRUE(back.has_value()) << name;
    EXPECT_EQ(*back, site) << name << " names another site";
  }
  EXPECT_FALSE(FromName("ring.no-such-bug").has_value());
  EXPECT_FALSE(FromName("").has_value());
}

TEST(Plant, SetParsesWhatItPrints) {
  const Set set{Site::kManagerRegisterAfterClose, Site::kRingDoubleDone};
  EXPECT_EQ(set.ToString(), "ring.double-done,manager.register-after-close");
  std::string error;
  const std::optional<Set> back = Set::Parse(set.ToString(), error);
  ASSERT_TRUE(back.has_value()) << error;
  EXPECT_EQ(*back, set);
  EXPECT_EQ(Set::Parse("none", error), Set{});
  EXPECT_EQ(Set::Parse("", error), Set{});
}

TEST(Plant, ParseNamesTheUnknownPlant) {
  std::string error;
  EXPECT_FALSE(Set::Parse("ring.double-done,ring.typo", error).has_value());
  EXPECT_NE(error.find("'ring.typo'"), std::string::npos) << error;
}

#if DRPC_CHECKED
TEST(Plant, ScopedPlantsSwitchSitesOnAndRestoreThePreviousSet) {
  ASSERT_TRUE(ActiveSet().empty());
  EXPECT_FALSE(DRPC_PLANT(kRingDoubleDone));
  {
    ScopedPlants outer(Set{Site::kRingDoubleDone});
    EXPECT_TRUE(DRPC_PLANT(kRingDoubleDone));
    EXPECT_FALSE(DRPC_PLANT(kRingLeakQueued));
    {
      ScopedPlants inner(Set{Site::kRingLeakQueued});
      EXPECT_FALSE(DRPC_PLANT(kRingDoubleDone));
      EXPECT_TRUE(DRPC_PLANT(kRingLeakQueued));
    }
    EXPECT_EQ(ActiveSet(), Set{Site::kRingDoubleDone});
  }
  EXPECT_TRUE(ActiveSet().empty());
}
#else
TEST(Plant, UncheckedBuildsHaveNoPlants) {
  static_assert(!DRPC_PLANT(kRingDoubleDone));
  EXPECT_DEATH(SetActive(Set{Site::kRingDoubleDone}), "only in checked builds");
}
#endif

}  // namespace
}  // namespace drpc::plant
