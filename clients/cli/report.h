// qcall report day|period|month: a hall's (or every visible hall's) report
// from Supervisor.GetReport, as text, --json or --csv (UTF-8 with a BOM, so
// a spreadsheet opens the Chinese names correctly).
//
//   qcall --hall sh-xujiahui report day 2026-12-07
//   qcall report period 2026-12 2 --csv > 2026-12-2.csv   # every hall
//   qcall report month 2026-12 --json
#ifndef QCALL_CLIENTS_CLI_REPORT_H_
#define QCALL_CLIENTS_CLI_REPORT_H_

#include <string>

#include "absl/status/statusor.h"
#include "qcall/v1/api.pb.h"

namespace qcall::cli {

// The request of `kind` ("day", "period", "month") for `date` (YYYY-MM-DD
// for a day, YYYY-MM otherwise) and `period` (1-3, periods only).
// INVALID_ARGUMENT when `date` is not of that form; the server checks that
// the day exists.
absl::StatusOr<v1::ReportRequest> ReportRequestOf(const std::string& kind,
                                                  const std::string& date,
                                                  int period);

// The report as CSV: a BOM, then a table of figures (one row for the total
// and each service, category and hour), a blank line, and a table of each
// clerk at each window. Fields with commas, quotes or line breaks are
// quoted; lines end with CRLF (RFC 4180).
std::string ReportCsv(const v1::Report& report);
// The report for a terminal.
std::string ReportText(const v1::Report& report);

}  // namespace qcall::cli

#endif  // QCALL_CLIENTS_CLI_REPORT_H_
