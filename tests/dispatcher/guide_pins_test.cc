// GuidePins: a hall's guide PIN, checked by its hash, wrong tries limited.
#include "dispatcher/guide_pins.h"

#include "dispatcher/token_hash.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace qcall {
namespace {

using ::testing::HasSubstr;

v1::ServerConfig WithPin(const char* hall, const char* pin) {
  v1::ServerConfig config;
  v1::GuidePin* entry = config.add_guide_pins();
  entry->set_hall(hall);
  entry->set_pin_sha256(Sha256Hex(TokenSha256(pin)));
  return config;
}

TEST(GuidePinsTest, TheHallsPinPassesOthersAreDeniedAndHallsAreApart) {
  SimulatedClock clock(absl::FromUnixSeconds(1'800'000'000));
  v1::ServerConfig config = WithPin("xujiahui", "4821");
  auto pins = GuidePins::Create(config, &clock);
  ASSERT_TRUE(pins.ok()) << pins.status();
  EXPECT_TRUE((*pins)->Required("xujiahui"));
  EXPECT_FALSE((*pins)->Required("xidan"));
  EXPECT_TRUE((*pins)->Check("xujiahui", "4821").ok());
  const absl::Status wrong = (*pins)->Check("xujiahui", "4822");
  EXPECT_EQ(wrong.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(wrong.message(), "wrong guide PIN");
  EXPECT_EQ((*pins)->Check("xujiahui", "").code(),
            absl::StatusCode::kPermissionDenied);
  // A hall without a PIN has none to match.
  EXPECT_EQ((*pins)->Check("xidan", "4821").code(),
            absl::StatusCode::kPermissionDenied);
}

TEST(GuidePinsTest, FiveWrongInARowLockTheHallOutForAMinute) {
  SimulatedClock clock(absl::FromUnixSeconds(1'800'000'000));
  v1::ServerConfig config = WithPin("xujiahui", "4821");
  *config.add_guide_pins() = WithPin("xidan", "1111").guide_pins(0);
  auto pins = std::move(GuidePins::Create(config, &clock)).value();
  // A right PIN in between starts the count again.
  for (int i = 0; i < GuidePins::kMaxWrong - 1; ++i) {
    EXPECT_FALSE(pins->Check("xujiahui", "0000").ok());
  }
  EXPECT_TRUE(pins->Check("xujiahui", "4821").ok());
  for (int i = 0; i < GuidePins::kMaxWrong; ++i) {
    EXPECT_EQ(pins->Check("xujiahui", "0000").code(),
              absl::StatusCode::kPermissionDenied)
        << i;
  }
  const absl::Status locked = pins->Check("xujiahui", "4821");
  EXPECT_EQ(locked.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_THAT(locked.message(),
              HasSubstr("too many wrong guide PINs; try again in 60 s"));
  EXPECT_TRUE(pins->Check("xidan", "1111").ok()) << "another hall is apart";
  clock.Advance(absl::Seconds(59));
  EXPECT_THAT(pins->Check("xujiahui", "4821").message(), HasSubstr("in 1 s"));
  clock.Advance(absl::Seconds(1));
  EXPECT_TRUE(pins->Check("xujiahui", "4821").ok());
}

TEST(GuidePinsTest, AConfigWithABadOrSecondEntryIsRefused) {
  v1::ServerConfig bad = WithPin("xujiahui", "4821");
  bad.mutable_guide_pins(0)->set_pin_sha256("4821");
  EXPECT_THAT(GuidePins::Create(bad, nullptr).status().message(),
              HasSubstr("guide_pins of hall xujiahui: pin_sha256"));
  v1::ServerConfig twice = WithPin("xujiahui", "4821");
  *twice.add_guide_pins() = twice.guide_pins(0);
  EXPECT_THAT(GuidePins::Create(twice, nullptr).status().message(),
              HasSubstr("hall xujiahui has two guide_pins entries"));
  v1::ServerConfig nameless = WithPin("", "4821");
  EXPECT_EQ(GuidePins::Create(nameless, nullptr).status().code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace qcall
