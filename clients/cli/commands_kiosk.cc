// qcall kiosk services|issue and qcall ticket status: what a kiosk and a
// customer's "where is my ticket" do.
#include <cstdio>
#include <map>
#include <memory>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "clients/cli/appointment.h"
#include "clients/cli/commands.h"
#include "clients/cli/output.h"
#include "clients/escpos/ticket_printout.h"

namespace qcall::cli {
namespace {

struct IssueOptions {
  std::string service;
  v1::Category category = v1::CATEGORY_UNSPECIFIED;
  std::string phone;
  std::string guide_pin;
  std::string appointment;
  std::string status_base;
  // ESC/POS output: a printer's device and/or a file.
  std::string printer;
  std::string escpos_file;
};

// --status-base, else the hall's public address (known once ListServices
// was asked, which printing does).
std::string StatusUrl(const IssueOptions& o,
                      const v1::ListServicesResponse& hall_info,
                      const std::string& hall, const std::string& number) {
  const std::string& base =
      o.status_base.empty() ? hall_info.public_url() : o.status_base;
  if (base.empty()) return "";
  return absl::StrCat(absl::StripSuffix(base, "/"), "/t/", hall, "/", number);
}

// Prints the ticket to --print and --escpos. The ticket exists already, so a
// failure here is reported after its number (exit 1), never instead of it.
int PrintTicket(const IssueOptions& o, const std::string& hall,
                const v1::ListServicesResponse& hall_info,
                const v1::CommandReply& reply) {
  TicketPrintout printout;
  printout.hall_name = hall_info.hall_name();
  printout.language = hall_info.language();
  printout.number = reply.ticket().number();
  printout.service_name = reply.ticket().service_name();
  printout.people_ahead = reply.people_ahead();
  printout.estimated_wait_seconds = reply.estimated_wait_seconds();
  printout.issued_at = absl::FromUnixMillis(reply.ticket().issued_at_unix_ms());
  // The hall's time, whatever zone this machine is set to; a server too old
  // to name the zone leaves the machine's.
  printout.zone = HallZone(hall_info.time_zone(), absl::LocalTimeZone());
  printout.status_url = StatusUrl(o, hall_info, hall, printout.number);
  const std::string bytes = RenderEscPos(printout);
  for (const std::string& path : {o.printer, o.escpos_file}) {
    if (path.empty()) continue;
    if (absl::Status written = WriteEscPos(bytes, path); !written.ok()) {
      std::fprintf(stderr, "qcall: %s: %s\n",
                   absl::StatusCodeToString(written.code()).c_str(),
                   std::string(written.message()).c_str());
      return kExitFailed;
    }
  }
  return kExitOk;
}

int ListServices(Client& client) {
  v1::ListServicesRequest request;
  request.set_hall_id(client.hall());
  return RunUnary(client, &v1::Kiosk::Stub::ListServices, request,
                  [](const v1::ListServicesResponse& response) {
                    std::string text = response.hall_name();
                    for (const v1::ServiceStatus& s : response.services()) {
                      absl::StrAppend(
                          &text, "\n", PadRight(s.code(), 10),
                          PadRight(s.name(), 26),
                          PadRight(absl::StrCat(s.waiting(), " waiting"), 12),
                          PadRight(absl::StrCat(s.open_windows(), " open"), 9),
                          FormatWait(s.estimated_wait_seconds()));
                    }
                    return Shown{text};
                  });
}

int Issue(Client& client, const IssueOptions& o) {
  v1::IssueTicketRequest request;
  request.set_hall_id(client.hall());
  request.set_service_code(o.service);
  request.set_category(o.category);
  request.set_phone(o.phone);
  request.set_guide_pin(o.guide_pin);
  if (!o.appointment.empty()) {
    absl::StatusOr<int64_t> slot =
        ParseAppointment(o.appointment, absl::Now(), absl::LocalTimeZone());
    if (!slot.ok()) {
      std::fprintf(stderr, "qcall: %s\n",
                   std::string(slot.status().message()).c_str());
      return kExitUsage;
    }
    request.set_appointment_unix_seconds(*slot);
    // A booked slot makes an appointment unless told otherwise.
    if (o.category == v1::CATEGORY_UNSPECIFIED) {
      request.set_category(v1::CATEGORY_APPOINTMENT);
    }
  }
  // The printout names the hall in its language: asked before issuing, so
  // that a hall that cannot be asked leaves no ticket unprinted.
  const bool printing = !o.printer.empty() || !o.escpos_file.empty();
  v1::ListServicesResponse hall_info;
  if (printing) {
    v1::ListServicesRequest hall_request;
    hall_request.set_hall_id(client.hall());
    const grpc::Status status =
        client.Call(&v1::Kiosk::Stub::ListServices, hall_request, &hall_info);
    if (!status.ok()) return client.Fail(status);
  }
  request.set_request_id(client.RequestId());
  v1::CommandReply reply;
  const int code = RunUnary(
      client, &v1::Kiosk::Stub::IssueTicket, request,
      [&](const v1::CommandReply& issued) {
        reply = issued;
        const std::string url =
            StatusUrl(o, hall_info, client.hall(), issued.ticket().number());
        return Shown{url.empty()
                         ? DescribeTicket(issued)
                         : absl::StrCat(DescribeTicket(issued), "\n", url)};
      });
  if (code != kExitOk || !printing) return code;
  return PrintTicket(o, client.hall(), hall_info, reply);
}

int TicketStatus(Client& client, const std::string& number) {
  v1::GetTicketRequest request;
  request.set_hall_id(client.hall());
  request.set_ticket(number);
  return RunUnary(client, &v1::Kiosk::Stub::GetTicket, request,
                  [](const v1::CommandReply& reply) {
                    return Shown{DescribeTicket(reply)};
                  });
}

}  // namespace

void AddKioskCommands(CLI::App* app, Cli* cli) {
  CLI::App* kiosk = app->add_subcommand("kiosk", "issue tickets");
  kiosk->require_subcommand(1);
  AddAction(kiosk, cli, "services",
            "the hall's services with waiting people and expected wait",
            Needs::kHall, ListServices);

  auto issue = std::make_shared<IssueOptions>();
  CLI::App* issue_command = AddAction(
      kiosk, cli, "issue", "issue a ticket: prints its number and wait",
      Needs::kHallAndRequestId,
      [issue](Client& client) { return Issue(client, *issue); });
  issue_command
      ->add_option("service", issue->service, "service code, e.g. BILL")
      ->required();
  const std::map<std::string, v1::Category> categories = {
      {"normal", v1::CATEGORY_NORMAL},
      {"green", v1::CATEGORY_GREEN_CHANNEL},
      {"vip", v1::CATEGORY_VIP},
      {"urgent", v1::CATEGORY_URGENT},
      {"appointment", v1::CATEGORY_APPOINTMENT}};
  issue_command
      ->add_option("--category", issue->category,
                   "normal, green (green channel: elderly, disabled, "
                   "pregnant), vip, urgent or appointment")
      ->transform(CLI::CheckedTransformer(categories, CLI::ignore_case))
      ->option_text("normal|green|vip|urgent|appointment");
  issue_command->add_option("--phone", issue->phone,
                            "for a call-back; never shown on a board");
  issue_command->add_option(
      "--guide-pin", issue->guide_pin,
      "the hall's guide PIN: a green, vip or urgent ticket needs it when the "
      "hall has one (a guide issues those; `qcall admin hash-pin` makes its "
      "line of the config)");
  issue_command->add_option(
      "--appointment", issue->appointment,
      "booked slot: unix seconds, 'YYYY-MM-DD HH:MM' or 'HH:MM' (local "
      "time); makes the category appointment");
  issue_command->add_option(
      "--status-base", issue->status_base,
      "qcalld's web address for customers, e.g. https://q.example.cn: also "
      "prints the ticket's status page (and puts it in the printout's QR "
      "code); when printing, the hall's public address is the default");
  issue_command->add_option("--print", issue->printer,
                            "print the ticket on this ESC/POS printer, e.g. "
                            "/dev/usb/lp0");
  issue_command->add_option("--escpos", issue->escpos_file,
                            "write the ticket's ESC/POS bytes to this file");

  AddBookingCommands(app, kiosk, cli);

  CLI::App* ticket = app->add_subcommand("ticket", "follow a ticket");
  ticket->require_subcommand(1);
  auto number = std::make_shared<std::string>();
  AddAction(ticket, cli, "status", "where a ticket is: waiting, called, ...",
            Needs::kHall,
            [number](Client& client) { return TicketStatus(client, *number); })
      ->add_option("ticket", *number, "ticket number, e.g. A012")
      ->required();
}

}  // namespace qcall::cli
