#include "engine/hall_rules.h"

#include "absl/status/status.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/engine/test_hall.h"

namespace qcall {
namespace {

using ::qcall::testing::SmallHallConfig;
using ::testing::HasSubstr;

void ExpectInvalid(const v1::HallConfig& config, absl::string_view message) {
  absl::StatusOr<HallRules> rules = HallRules::FromConfig(config);
  ASSERT_FALSE(rules.ok());
  EXPECT_EQ(rules.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(rules.status().message()),
              HasSubstr(std::string(message)));
}

TEST(HallRulesTest, AcceptsTheSmallHallAndFillsDefaults) {
  absl::StatusOr<HallRules> rules = HallRules::FromConfig(SmallHallConfig());
  ASSERT_TRUE(rules.ok()) << rules.status();
  EXPECT_EQ(rules->services()[0].daily_cap, 999u);
  EXPECT_EQ(rules->services()[0].width, 3);
  EXPECT_EQ(rules->policy().max_recalls, 2);
  EXPECT_EQ(rules->category(CategorySlot(v1::CATEGORY_VIP)).boost_ms, 900'000);
  EXPECT_TRUE(
      rules->category(CategorySlot(v1::CATEGORY_GREEN_CHANNEL)).priority);
  EXPECT_FALSE(rules->category(CategorySlot(v1::CATEGORY_NORMAL)).priority);
  // Window 1 serves two services with equal weight: half a window each.
  EXPECT_EQ(rules->windows()[0].serves[0].share_permille, 500);
  EXPECT_EQ(rules->FindWindow(3), 2);
  EXPECT_FALSE(rules->FindWindow(99).has_value());
}

TEST(HallRulesTest, ExplicitZeroPolicyIsKept) {
  v1::HallConfig config = SmallHallConfig();
  config.mutable_policy()->set_max_recalls(0);
  config.mutable_policy()->set_priority_interleave(0);
  absl::StatusOr<HallRules> rules = HallRules::FromConfig(config);
  ASSERT_TRUE(rules.ok());
  EXPECT_EQ(rules->policy().max_recalls, 0);
  EXPECT_EQ(rules->policy().priority_interleave, 0);
}

TEST(HallRulesTest, APublicUrlIsABaseAddressForCustomerLinks) {
  for (const char* url : {"", "https://q.example.cn", "http://10.0.0.5:8080",
                          "https://example.cn/hall/"}) {
    v1::HallConfig c = SmallHallConfig();
    c.set_public_url(url);
    EXPECT_TRUE(HallRules::FromConfig(c).ok()) << url;
  }
  for (const char* url :
       {"q.example.cn", "ftp://q.example.cn", "https://", "https://a.cn/?x=1",
        "https://a.cn/#top", "https://a .cn", "javascript:alert(1)"}) {
    v1::HallConfig c = SmallHallConfig();
    c.set_public_url(url);
    ExpectInvalid(c, "public_url must be an http:// or https:// address");
  }
}

TEST(HallRulesTest, ParsesTicketNumbers) {
  absl::StatusOr<HallRules> rules = HallRules::FromConfig(SmallHallConfig());
  ASSERT_TRUE(rules.ok());
  EXPECT_EQ(rules->ParseTicketNumber("A012"),
            (std::pair<int, uint32_t>{0, 12}));
  EXPECT_EQ(rules->ParseTicketNumber("B7"), (std::pair<int, uint32_t>{1, 7}));
  // Customers type and read numbers in either case.
  EXPECT_EQ(rules->ParseTicketNumber("a012"),
            (std::pair<int, uint32_t>{0, 12}));
  EXPECT_FALSE(rules->ParseTicketNumber("C001").has_value());
  EXPECT_FALSE(rules->ParseTicketNumber("A000").has_value());
  EXPECT_FALSE(rules->ParseTicketNumber("A").has_value());
  EXPECT_FALSE(rules->ParseTicketNumber("012").has_value());
  EXPECT_FALSE(rules->ParseTicketNumber("A01x").has_value());
  EXPECT_FALSE(rules->ParseTicketNumber("A99999999999").has_value());
}

TEST(HallRulesTest, TheTimeZoneIsAnIanaNameNeverAPath) {
  for (const char* name :
       {"UTC", "Asia/Shanghai", "Etc/GMT+8", "Etc/GMT-14",
        "America/Argentina/Buenos_Aires", "America/Port-au-Prince"}) {
    v1::HallConfig c = SmallHallConfig();
    c.set_time_zone(name);
    EXPECT_TRUE(HallRules::FromConfig(c).ok()) << name;
  }
  for (const char* path :
       {"", "/usr/share/zoneinfo/Asia/Shanghai", "../../../../usr/share/x",
        "Asia/../../etc/passwd", "Asia//Shanghai", "Asia/Shanghai/", "./UTC",
        "Asia/Shang hai", "/tmp/fifo"}) {
    v1::HallConfig c = SmallHallConfig();
    c.set_time_zone(path);
    ExpectInvalid(c, "time_zone must be an IANA time zone name");
  }
}

TEST(HallRulesTest, RefusesBrokenConfigsWithTheField) {
  v1::HallConfig c = SmallHallConfig();
  c.set_hall_id("");
  ExpectInvalid(c, "hall_id");

  c = SmallHallConfig();
  c.mutable_services(1)->set_ticket_prefix("A");
  ExpectInvalid(c, "ticket_prefix A is used by two services");
  c.mutable_services(1)->set_ticket_prefix("a");
  ExpectInvalid(c, "ticket_prefix a is used by two services");

  c = SmallHallConfig();
  c.mutable_services(1)->set_ticket_prefix("AB");
  ExpectInvalid(c, "ambiguous");

  c = SmallHallConfig();
  c.mutable_services(0)->set_daily_cap(1000);
  ExpectInvalid(c, "does not fit in 3 digits");

  c = SmallHallConfig();
  c.mutable_windows(0)->add_serves()->set_service_code("NOPE");
  ExpectInvalid(c, "unknown service 'NOPE'");

  c = SmallHallConfig();
  c.mutable_windows(1)->set_number(1);
  ExpectInvalid(c, "window 1 appears twice");

  c = SmallHallConfig();
  c.set_min_open_windows(5);
  ExpectInvalid(c, "min_open_windows");

  c = SmallHallConfig();
  c.mutable_policy()->set_ageing_percent(0);
  ExpectInvalid(c, "starve");

  c = SmallHallConfig();
  c.set_business_day_start_minute(9 * 60);
  ExpectInvalid(c, "numbering would restart while the hall is open");

  c = SmallHallConfig();
  c.mutable_hours(0)->set_weekday(8);
  ExpectInvalid(c, "weekday");

  c = SmallHallConfig();
  c.mutable_standby_clerks(0)->add_windows(42);
  ExpectInvalid(c, "unknown window 42");

  c = SmallHallConfig();
  c.mutable_services(0)->set_target_wait_seconds(-1);
  ExpectInvalid(c, "target_wait_seconds");
}

}  // namespace
}  // namespace qcall
