#include "engine/business_calendar.h"

#include "absl/time/civil_time.h"

namespace qcall {
namespace {

int IsoWeekday(absl::CivilDay day) {
  switch (absl::GetWeekday(day)) {
    case absl::Weekday::monday:
      return 1;
    case absl::Weekday::tuesday:
      return 2;
    case absl::Weekday::wednesday:
      return 3;
    case absl::Weekday::thursday:
      return 4;
    case absl::Weekday::friday:
      return 5;
    case absl::Weekday::saturday:
      return 6;
    case absl::Weekday::sunday:
      return 7;
  }
  return 1;
}

}  // namespace

BusinessCalendar::BusinessCalendar(
    absl::TimeZone tz,
    const google::protobuf::RepeatedPtrField<v1::OpeningHours>& hours,
    int day_start_minute)
    : tz_(tz), day_start_minute_(day_start_minute) {
  for (const v1::OpeningHours& h : hours) {
    intervals_[h.weekday()].push_back({h.open_minute(), h.close_minute()});
  }
}

int32_t BusinessCalendar::BusinessDay(absl::Time t) const {
  const absl::CivilMinute local = absl::ToCivilMinute(t, tz_);
  absl::CivilDay day(local);
  if (local.hour() * 60 + local.minute() < day_start_minute_) --day;
  return static_cast<int32_t>(day.year() * 10000 + day.month() * 100 +
                              day.day());
}

namespace {
absl::CivilDay ToCivilDay(int32_t day) {
  return absl::CivilDay(day / 10000, day / 100 % 100, day % 100);
}
}  // namespace

int BusinessCalendar::Weekday(int32_t day) {
  return IsoWeekday(ToCivilDay(day));
}

absl::Time BusinessCalendar::DayStart(int32_t day) const {
  return absl::FromCivil(absl::CivilMinute(ToCivilDay(day)) + day_start_minute_,
                         tz_);
}

absl::Time BusinessCalendar::NextDayStart(int32_t day) const {
  const absl::CivilDay next = ToCivilDay(day) + 1;
  return DayStart(static_cast<int32_t>(next.year() * 10000 +
                                       next.month() * 100 + next.day()));
}

bool BusinessCalendar::IsOpen(absl::Time t) const {
  const absl::CivilMinute local = absl::ToCivilMinute(t, tz_);
  const absl::CivilDay today(local);
  const int minute = local.hour() * 60 + local.minute();
  for (const Interval& i : intervals_[IsoWeekday(today)]) {
    if (i.open_minute <= minute && minute < i.close_minute) return true;
  }
  // Yesterday's hours that run past midnight.
  for (const Interval& i : intervals_[IsoWeekday(today - 1)]) {
    if (minute + 1440 < i.close_minute) return true;
  }
  return false;
}

}  // namespace qcall
