#include "clients/cli/report.h"

#include <iostream>
#include <memory>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "clients/cli/commands.h"

namespace qcall::cli {
namespace {

std::string CsvField(const std::string& field) {
  if (field.find_first_of(",\"\r\n") == std::string::npos) return field;
  std::string quoted = "\"";
  for (char c : field) {
    if (c == '"') quoted += '"';
    quoted += c;
  }
  return quoted + "\"";
}

std::string CsvLine(const std::vector<std::string>& fields) {
  std::vector<std::string> escaped;
  escaped.reserve(fields.size());
  for (const std::string& f : fields) escaped.push_back(CsvField(f));
  return absl::StrCat(absl::StrJoin(escaped, ","), "\r\n");
}

std::string Number(double v) { return absl::StrFormat("%.3f", v); }

std::vector<std::string> FigureFields(const v1::ReportFigures& f) {
  return {absl::StrCat(f.issued()),
          absl::StrCat(f.called()),
          absl::StrCat(f.completed()),
          absl::StrCat(f.no_shows()),
          absl::StrCat(f.cancelled()),
          absl::StrCat(f.voided()),
          absl::StrCat(f.expired()),
          absl::StrCat(f.transfers()),
          absl::StrCat(f.recalls()),
          Number(f.mean_wait_seconds()),
          absl::StrCat(f.p90_wait_seconds()),
          Number(f.wait_within_target()),
          Number(f.mean_handling_seconds()),
          absl::StrCat(f.p90_handling_seconds()),
          Number(f.sla_attainment()),
          Number(f.no_show_rate()),
          absl::StrCat(f.rated()),
          absl::StrCat(f.satisfied()),
          absl::StrCat(f.bad_ratings()),
          Number(f.satisfaction_rate()),
          absl::StrCat(f.complaints())};
}

const char* HotSpotName(v1::Report::HotSpot::Kind kind) {
  switch (kind) {
    case v1::Report::HotSpot::KIND_DEMAND:
      return "demand";
    case v1::Report::HotSpot::KIND_LONGEST_WAIT:
      return "wait";
    case v1::Report::HotSpot::KIND_BAD_RATINGS:
      return "bad ratings";
    case v1::Report::HotSpot::KIND_COMPLAINTS:
      return "complaints";
    default:
      return "?";
  }
}

std::string Percent(double share) {
  return absl::StrFormat("%.1f%%", 100 * share);
}

}  // namespace

absl::StatusOr<v1::ReportRequest> ReportRequestOf(const std::string& kind,
                                                  const std::string& date,
                                                  int period) {
  v1::ReportRequest request;
  const std::vector<std::string> parts = absl::StrSplit(date, '-');
  const size_t wanted = kind == "day" ? 3 : 2;
  std::vector<int> numbers;
  for (const std::string& part : parts) {
    int n = 0;
    if (!absl::SimpleAtoi(part, &n)) break;
    numbers.push_back(n);
  }
  if (parts.size() != wanted || numbers.size() != wanted) {
    return absl::InvalidArgumentError(absl::StrCat(
        "'", date, "' is not a ",
        kind == "day" ? "day: give YYYY-MM-DD" : "month: give YYYY-MM"));
  }
  request.set_year(numbers[0]);
  request.set_month(numbers[1]);
  if (kind == "day") {
    request.set_kind(v1::REPORT_KIND_DAY);
    request.set_day(numbers[2]);
  } else if (kind == "period") {
    request.set_kind(v1::REPORT_KIND_PERIOD);
    request.set_period(period);
  } else {
    request.set_kind(v1::REPORT_KIND_MONTH);
  }
  return request;
}

std::string ReportCsv(const v1::Report& report) {
  std::string csv = "\xEF\xBB\xBF";  // The BOM.
  csv += CsvLine({"section",
                  "key",
                  "name",
                  "issued",
                  "called",
                  "completed",
                  "no_shows",
                  "cancelled",
                  "voided",
                  "expired",
                  "transfers",
                  "recalls",
                  "mean_wait_s",
                  "p90_wait_s",
                  "wait_within_target",
                  "mean_handling_s",
                  "p90_handling_s",
                  "sla_attainment",
                  "no_show_rate",
                  "rated",
                  "satisfied",
                  "bad_ratings",
                  "satisfaction_rate",
                  "complaints"});
  auto row = [&](const std::string& section, const std::string& key,
                 const std::string& name, const v1::ReportFigures& f) {
    std::vector<std::string> fields = {section, key, name};
    for (std::string& v : FigureFields(f)) fields.push_back(std::move(v));
    csv += CsvLine(fields);
  };
  row("total", absl::StrCat(report.first_day(), "-", report.last_day()),
      absl::StrJoin(report.hall_ids(), " "), report.total());
  for (const auto& s : report.services()) {
    row("service", s.service_code(), s.service_name(), s.figures());
  }
  for (const auto& c : report.categories()) {
    row("category", CategoryName(c.category()), "", c.figures());
  }
  for (const auto& h : report.hours()) {
    row("hour", absl::StrFormat("%02d", h.hour()), "", h.figures());
  }
  csv += "\r\n";
  csv += CsvLine({"hall",
                  "clerk",
                  "window",
                  "served",
                  "no_shows",
                  "transfers",
                  "recalls",
                  "mean_handling_s",
                  "p90_handling_s",
                  "open_s",
                  "idle_s",
                  "paused_s",
                  "paused_by_reason",
                  "rated",
                  "satisfied",
                  "bad_ratings",
                  "satisfaction_rate",
                  "complaints",
                  "complaints_overdue",
                  "called",
                  "wait_within_target"});
  for (const auto& c : report.clerks()) {
    std::vector<std::string> pauses;
    for (const auto& p : c.paused_by_reason()) {
      pauses.push_back(absl::StrCat(p.reason(), "=", p.seconds()));
    }
    csv += CsvLine({c.hall_id(),
                    c.clerk_id(),
                    absl::StrCat(c.window()),
                    absl::StrCat(c.served()),
                    absl::StrCat(c.no_shows()),
                    absl::StrCat(c.transfers()),
                    absl::StrCat(c.recalls()),
                    Number(c.mean_handling_seconds()),
                    absl::StrCat(c.p90_handling_seconds()),
                    absl::StrCat(c.open_seconds()),
                    absl::StrCat(c.idle_seconds()),
                    absl::StrCat(c.paused_seconds()),
                    absl::StrJoin(pauses, "; "),
                    absl::StrCat(c.rated()),
                    absl::StrCat(c.satisfied()),
                    absl::StrCat(c.bad_ratings()),
                    Number(c.satisfaction_rate()),
                    absl::StrCat(c.complaints()),
                    absl::StrCat(c.complaints_overdue()),
                    absl::StrCat(c.called()),
                    Number(c.wait_within_target())});
  }
  const v1::Report::CaseCounts& cases = report.complaints();
  const v1::Report::FollowUpCounts& follow_ups = report.follow_ups();
  csv += "\r\n";
  csv += CsvLine({"cases", "opened", "called_back", "resolved", "overdue",
                  "closed", "open"});
  csv += CsvLine({"complaints", absl::StrCat(cases.opened()),
                  absl::StrCat(cases.called_back()),
                  absl::StrCat(cases.resolved()), absl::StrCat(cases.overdue()),
                  "", absl::StrCat(cases.open())});
  csv += CsvLine({"follow_ups", absl::StrCat(follow_ups.opened()), "", "", "",
                  absl::StrCat(follow_ups.closed()),
                  absl::StrCat(follow_ups.open())});
  csv += "\r\n";
  csv += CsvLine({"hot_spot", "service", "hour", "value"});
  for (const auto& spot : report.hot_spots()) {
    csv += CsvLine({HotSpotName(spot.kind()), spot.service_code(),
                    spot.hour() < 0 ? "" : absl::StrFormat("%02d", spot.hour()),
                    Number(spot.value())});
  }
  return csv;
}

std::string ReportText(const v1::Report& report) {
  const v1::ReportFigures& t = report.total();
  std::string text =
      absl::StrCat("report ", report.first_day(),
                   report.first_day() == report.last_day()
                       ? std::string()
                       : absl::StrCat("-", report.last_day()),
                   ", halls ", absl::StrJoin(report.hall_ids(), " "), "\n");
  auto line = [&](const std::string& label, const v1::ReportFigures& f) {
    absl::StrAppend(
        &text, PadRight(label, 24), PadRight(absl::StrCat(f.issued()), 8),
        PadRight(absl::StrCat(f.completed()), 8),
        PadRight(absl::StrFormat("%.0f s", f.mean_wait_seconds()), 9),
        PadRight(absl::StrCat(f.p90_wait_seconds(), " s"), 9),
        PadRight(Percent(f.wait_within_target()), 8),
        PadRight(absl::StrFormat("%.0f s", f.mean_handling_seconds()), 9),
        PadRight(Percent(f.sla_attainment()), 8),
        PadRight(Percent(f.no_show_rate()), 8),
        f.rated() > 0 ? Percent(f.satisfaction_rate()) : "-", "\n");
  };
  absl::StrAppend(&text, PadRight("", 24), PadRight("issued", 8),
                  PadRight("done", 8), PadRight("wait", 9), PadRight("p90", 9),
                  PadRight("in tgt", 8), PadRight("handle", 9),
                  PadRight("SLA", 8), PadRight("noshow", 8), "satisfied\n");
  line("total", t);
  for (const auto& s : report.services()) {
    line(absl::StrCat(s.service_code(), " ", s.service_name()), s.figures());
  }
  for (const auto& c : report.categories()) {
    line(CategoryName(c.category()), c.figures());
  }
  for (const auto& h : report.hours()) {
    line(absl::StrFormat("%02d:00", h.hour()), h.figures());
  }
  if (report.clerks_size() > 0) {
    absl::StrAppend(&text, "\n", PadRight("clerk", 24), PadRight("window", 8),
                    PadRight("served", 8), PadRight("noshow", 8),
                    PadRight("in tgt", 8), PadRight("handle", 9),
                    PadRight("open", 9), PadRight("idle", 9),
                    PadRight("paused", 9), "satisfied\n");
  }
  for (const auto& c : report.clerks()) {
    absl::StrAppend(
        &text, PadRight(absl::StrCat(c.hall_id(), " ", c.clerk_id()), 24),
        PadRight(absl::StrCat(c.window()), 8),
        PadRight(absl::StrCat(c.served()), 8),
        PadRight(absl::StrCat(c.no_shows()), 8),
        // Of the tickets the clerk called, waits within target.
        PadRight(c.called() > 0 ? Percent(c.wait_within_target()) : "-", 8),
        PadRight(absl::StrFormat("%.0f s", c.mean_handling_seconds()), 9),
        PadRight(absl::StrCat(c.open_seconds() / 60, " min"), 9),
        PadRight(absl::StrCat(c.idle_seconds() / 60, " min"), 9),
        PadRight(absl::StrCat(c.paused_seconds() / 60, " min"), 9),
        c.rated() > 0 ? Percent(c.satisfaction_rate()) : "-", "\n");
  }
  const v1::Report::CaseCounts& cases = report.complaints();
  if (cases.opened() > 0 || report.follow_ups().opened() > 0) {
    absl::StrAppend(&text, "\ncomplaints: ", cases.opened(), " opened, ",
                    cases.called_back(), " called back, ", cases.resolved(),
                    " resolved, ", cases.overdue(), " overdue, ", cases.open(),
                    " open\nfollow-ups: ", report.follow_ups().opened(),
                    " opened, ", report.follow_ups().closed(), " closed, ",
                    report.follow_ups().open(), " open\n");
  }
  for (const auto& c : report.clerks()) {
    if (c.bad_ratings() == 0 && c.complaints() == 0) continue;
    absl::StrAppend(&text, c.hall_id(), " ", c.clerk_id(), " (window ",
                    c.window(), "): ", c.bad_ratings(), " bad ratings, ",
                    c.complaints(), " complaints (", c.complaints_overdue(),
                    " overdue)\n");
  }
  for (const auto& spot : report.hot_spots()) {
    const char* kind = HotSpotName(spot.kind());
    absl::StrAppend(&text, "hot spot (", kind, "): ",
                    spot.hour() < 0 ? spot.service_code()
                                    : absl::StrFormat("%02d:00", spot.hour()),
                    " ", absl::StrFormat("%.0f", spot.value()), "\n");
  }
  text.pop_back();
  return text;
}

namespace {

struct ReportOptions {
  std::string date;
  int period = 0;
  bool csv = false;
};

int RunReport(Client& client, const std::string& kind, const ReportOptions& o) {
  absl::StatusOr<v1::ReportRequest> request =
      ReportRequestOf(kind, o.date, o.period);
  if (!request.ok()) {
    std::cerr << "qcall: " << request.status().message() << "\n";
    return kExitUsage;
  }
  request->set_hall_id(client.hall());
  v1::Report report;
  const grpc::Status status =
      client.Call(&v1::Supervisor::Stub::GetReport, *request, &report);
  if (!status.ok()) return client.Fail(status);
  if (o.csv) {
    std::cout << ReportCsv(report) << std::flush;
  } else if (client.json()) {
    PrintLine(ToJson(report));
  } else {
    PrintLine(ReportText(report));
  }
  return kExitOk;
}

}  // namespace

void AddReportCommand(CLI::App* app, Cli* cli) {
  CLI::App* report = app->add_subcommand(
      "report",
      "daily, 10-day and monthly reports (supervisor token); --hall for one "
      "hall, else every hall the token may see");
  report->require_subcommand(1);
  auto o = std::make_shared<ReportOptions>();
  for (const char* kind : {"day", "period", "month"}) {
    const std::string name = kind;
    CLI::App* command = AddAction(
        report, cli, name,
        name == "day"      ? "one business day: YYYY-MM-DD"
        : name == "period" ? "a 10-day period: YYYY-MM and 1 (1-10), 2 "
                             "(11-20) or 3 (21 to the end)"
                           : "a month: YYYY-MM",
        Needs::kNothing,
        [o, name](Client& client) { return RunReport(client, name, *o); });
    command
        ->add_option("date", o->date, name == "day" ? "YYYY-MM-DD" : "YYYY-MM")
        ->required();
    if (name == "period") {
      command->add_option("period", o->period, "1, 2 or 3")->required();
    }
    command->add_flag("--csv", o->csv,
                      "CSV (UTF-8 with a BOM) for a spreadsheet");
  }
}

}  // namespace qcall::cli
