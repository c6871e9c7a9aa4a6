#include "engine/business_calendar.h"

#include "absl/time/civil_time.h"
#include "gtest/gtest.h"
#include "tests/engine/test_hall.h"

namespace qcall {
namespace {

using ::qcall::testing::LoadZone;

google::protobuf::RepeatedPtrField<v1::OpeningHours> Hours(int open,
                                                           int close) {
  google::protobuf::RepeatedPtrField<v1::OpeningHours> hours;
  for (int day = 1; day <= 5; ++day) {  // Monday to Friday.
    v1::OpeningHours* h = hours.Add();
    h->set_weekday(day);
    h->set_open_minute(open);
    h->set_close_minute(close);
  }
  return hours;
}

absl::Time At(const absl::TimeZone& tz, int y, int m, int d, int hh, int mm) {
  return absl::FromCivil(absl::CivilMinute(y, m, d, hh, mm), tz);
}

TEST(BusinessCalendarTest, DayFollowsLocalMidnightNotUtc) {
  const absl::TimeZone tz = LoadZone("Asia/Shanghai");
  BusinessCalendar calendar(tz, Hours(510, 1080), 0);
  // 23:59 and 00:01 local are different days, although both are 15:59 and
  // 16:01 UTC of the same UTC day.
  EXPECT_EQ(calendar.BusinessDay(At(tz, 2026, 11, 26, 23, 59)), 20261126);
  EXPECT_EQ(calendar.BusinessDay(At(tz, 2026, 11, 27, 0, 1)), 20261127);
}

TEST(BusinessCalendarTest, DayStartAfterMidnightKeepsANightHallOnOneDay) {
  const absl::TimeZone tz = LoadZone("Asia/Shanghai");
  // Open Friday 18:00 to Saturday 02:00; numbering restarts at 06:00.
  google::protobuf::RepeatedPtrField<v1::OpeningHours> hours;
  v1::OpeningHours* h = hours.Add();
  h->set_weekday(5);
  h->set_open_minute(18 * 60);
  h->set_close_minute(26 * 60);
  BusinessCalendar calendar(tz, hours, 6 * 60);
  EXPECT_EQ(calendar.BusinessDay(At(tz, 2026, 11, 27, 23, 30)), 20261127);
  EXPECT_EQ(calendar.BusinessDay(At(tz, 2026, 11, 28, 1, 30)), 20261127);
  EXPECT_EQ(calendar.BusinessDay(At(tz, 2026, 11, 28, 6, 0)), 20261128);
  EXPECT_TRUE(calendar.IsOpen(At(tz, 2026, 11, 27, 18, 0)));
  EXPECT_TRUE(calendar.IsOpen(At(tz, 2026, 11, 28, 1, 59)));
  EXPECT_FALSE(calendar.IsOpen(At(tz, 2026, 11, 28, 2, 0)));
  EXPECT_FALSE(calendar.IsOpen(At(tz, 2026, 11, 27, 17, 59)));
}

TEST(BusinessCalendarTest, OpeningHoursFollowWeekdays) {
  const absl::TimeZone tz = LoadZone("Asia/Shanghai");
  BusinessCalendar calendar(tz, Hours(510, 1080), 0);
  EXPECT_FALSE(calendar.IsOpen(At(tz, 2026, 11, 27, 8, 29)));  // Friday.
  EXPECT_TRUE(calendar.IsOpen(At(tz, 2026, 11, 27, 8, 30)));
  EXPECT_TRUE(calendar.IsOpen(At(tz, 2026, 11, 27, 17, 59)));
  EXPECT_FALSE(calendar.IsOpen(At(tz, 2026, 11, 27, 18, 0)));
  EXPECT_FALSE(calendar.IsOpen(At(tz, 2026, 11, 28, 10, 0)));  // Saturday.
}

TEST(BusinessCalendarTest, SpringForwardDoesNotMoveTheDayOrHours) {
  // New York skips 02:00-03:00 on 2026-03-08 (a Sunday; use all days).
  const absl::TimeZone tz = LoadZone("America/New_York");
  google::protobuf::RepeatedPtrField<v1::OpeningHours> hours;
  for (int day = 1; day <= 7; ++day) {
    v1::OpeningHours* h = hours.Add();
    h->set_weekday(day);
    h->set_open_minute(9 * 60);
    h->set_close_minute(17 * 60);
  }
  BusinessCalendar calendar(tz, hours, 0);
  const absl::Time before = At(tz, 2026, 3, 8, 1, 59);
  const absl::Time after = before + absl::Minutes(1);  // 03:00 local.
  EXPECT_EQ(calendar.BusinessDay(before), 20260308);
  EXPECT_EQ(calendar.BusinessDay(after), 20260308);
  // 09:00 local is 13:00 UTC after the change, 14:00 UTC the day before.
  EXPECT_TRUE(calendar.IsOpen(absl::FromCivil(
      absl::CivilMinute(2026, 3, 8, 13, 0), absl::UTCTimeZone())));
  EXPECT_FALSE(calendar.IsOpen(absl::FromCivil(
      absl::CivilMinute(2026, 3, 7, 13, 0), absl::UTCTimeZone())));
}

}  // namespace
}  // namespace qcall
