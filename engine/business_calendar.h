// BusinessCalendar answers the two time questions of a hall: which business day
// an instant belongs to, and whether the hall is open then. Both follow the
// hall's IANA time zone in local civil time, so DST changes neither restart
// numbering twice nor skip a day.
//
//   BusinessCalendar calendar(tz, config.hours(),
//   config.business_day_start_minute()); int32_t day =
//   calendar.BusinessDay(now);   // 20261127 bool open = calendar.IsOpen(now);
//
// The caller loads the time zone (absl::LoadTimeZone reads the system's
// zoneinfo); the calendar itself does no I/O.
#ifndef QCALL_ENGINE_BUSINESS_CALENDAR_H_
#define QCALL_ENGINE_BUSINESS_CALENDAR_H_

#include <cstdint>
#include <vector>

#include "absl/time/time.h"
#include "google/protobuf/repeated_field.h"
#include "qcall/v1/hall_config.pb.h"

namespace qcall {

class BusinessCalendar {
 public:
  BusinessCalendar(
      absl::TimeZone tz,
      const google::protobuf::RepeatedPtrField<v1::OpeningHours>& hours,
      int day_start_minute);

  // The business day of `t` as YYYYMMDD: the local date, or the date before
  // when the local time is earlier than the day start.
  int32_t BusinessDay(absl::Time t) const;

  // The instant business day `day` (YYYYMMDD) began.
  absl::Time DayStart(int32_t day) const;
  // The instant the business day after `day` begins.
  absl::Time NextDayStart(int32_t day) const;

  // True within an opening interval, including ones that run past midnight.
  bool IsOpen(absl::Time t) const;

  const absl::TimeZone& time_zone() const { return tz_; }

  // The ISO weekday (1 = Monday) of business day `day` (YYYYMMDD): the one
  // whose opening hours apply.
  static int Weekday(int32_t day);

 private:
  struct Interval {
    int open_minute;
    int close_minute;
  };
  absl::TimeZone tz_;
  std::vector<Interval> intervals_[8];  // By ISO weekday 1..7.
  int day_start_minute_;
};

}  // namespace qcall

#endif  // QCALL_ENGINE_BUSINESS_CALENDAR_H_
