#include "clients/cli/appointment.h"

#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace qcall::cli {

absl::StatusOr<int64_t> ParseAppointment(absl::string_view text, absl::Time now,
                                         absl::TimeZone zone) {
  const std::string input(absl::StripAsciiWhitespace(text));
  int64_t seconds = 0;
  if (absl::SimpleAtoi(input, &seconds) && seconds > 0) return seconds;

  absl::Time slot;
  std::string ignored;
  for (const char* format : {"%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M",
                             "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S"}) {
    if (absl::ParseTime(format, input, zone, &slot, &ignored)) {
      return absl::ToUnixSeconds(slot);
    }
  }
  // A time of day alone is today's, in the same zone.
  absl::Time of_day;
  if (absl::ParseTime("%H:%M", input, absl::UTCTimeZone(), &of_day, &ignored)) {
    const absl::CivilSecond clock =
        absl::ToCivilSecond(of_day, absl::UTCTimeZone());
    const absl::CivilDay today = absl::ToCivilDay(now, zone);
    return absl::ToUnixSeconds(absl::FromCivil(
        absl::CivilMinute(today.year(), today.month(), today.day(),
                          clock.hour(), clock.minute()),
        zone));
  }
  return absl::InvalidArgumentError(absl::StrCat(
      "--appointment must be unix seconds, 'YYYY-MM-DD HH:MM' or 'HH:MM' "
      "(local time), not '",
      input, "'"));
}

}  // namespace qcall::cli
