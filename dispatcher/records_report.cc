// ReportQuery::From: the days a report request names, checked.
#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "dispatcher/records.h"

namespace qcall {

absl::StatusOr<ReportQuery> ReportQuery::From(
    const v1::ReportRequest& request) {
  ReportQuery query;
  query.kind = request.kind();
  const int32_t year = request.year();
  const int32_t month = request.month();
  if (query.kind == v1::REPORT_KIND_UNSPECIFIED ||
      !v1::ReportKind_IsValid(query.kind)) {
    return absl::InvalidArgumentError(
        "kind is required: REPORT_KIND_DAY, REPORT_KIND_PERIOD (10 days) or "
        "REPORT_KIND_MONTH");
  }
  if (year < 2000 || year > 2999) {
    return absl::InvalidArgumentError(absl::StrCat(
        "year ", year, " is out of range: give the year in full, e.g. 2026"));
  }
  if (month < 1 || month > 12) {
    return absl::InvalidArgumentError(
        absl::StrCat("month ", month, " does not exist: give 1 to 12"));
  }
  const absl::CivilDay first_of_month(year, month, 1);
  const int last_of_month = static_cast<int>(
      (absl::CivilDay(absl::CivilMonth(year, month) + 1) - 1).day());
  auto yyyymmdd = [&](int day) { return year * 10000 + month * 100 + day; };
  switch (query.kind) {
    case v1::REPORT_KIND_DAY:
      if (request.day() < 1 || request.day() > last_of_month) {
        return absl::InvalidArgumentError(absl::StrCat(
            absl::FormatCivilTime(absl::CivilMonth(first_of_month)), " has no day ",
            request.day(), ": give 1 to ", last_of_month));
      }
      query.first_day = query.last_day = yyyymmdd(request.day());
      break;
    case v1::REPORT_KIND_PERIOD:
      if (request.period() < 1 || request.period() > 3) {
        return absl::InvalidArgumentError(absl::StrCat(
            "10-day period ", request.period(),
            " does not exist: give 1 (days 1-10), 2 (11-20) or 3 (21 to the "
            "month's end)"));
      }
      query.first_day = yyyymmdd(1 + 10 * (request.period() - 1));
      query.last_day =
          request.period() == 3 ? yyyymmdd(last_of_month)
                                : yyyymmdd(10 * request.period());
      break;
    case v1::REPORT_KIND_MONTH:
      query.first_day = yyyymmdd(1);
      query.last_day = yyyymmdd(last_of_month);
      break;
    default:
      break;
  }
  if (query.kind != v1::REPORT_KIND_DAY && request.day() != 0) {
    return absl::InvalidArgumentError(
        "day is only for REPORT_KIND_DAY; leave it 0");
  }
  if (query.kind != v1::REPORT_KIND_PERIOD && request.period() != 0) {
    return absl::InvalidArgumentError(
        "period is only for REPORT_KIND_PERIOD; leave it 0");
  }
  return query;
}

}  // namespace qcall
