// qcall admin ...: what a duty manager does besides watching `qcall top`.
#include <memory>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "clients/cli/commands.h"
#include "clients/cli/dashboard.h"

namespace qcall::cli {
namespace {

struct AdminOptions {
  int32_t min_open_windows = 0;
  std::string ticket;
  std::string reason;
};

int ListHalls(Client& client) {
  return RunUnary(
      client, &v1::Supervisor::Stub::ListHalls, v1::ListHallsRequest(),
      [](const v1::ListHallsResponse& response) {
        std::string text;
        for (const v1::HallSummary& h : response.halls()) {
          if (!text.empty()) text += "\n";
          absl::StrAppend(
              &text, PadRight(h.hall_id(), 16), PadRight(h.name(), 50),
              PadRight(absl::StrCat(h.waiting(), " waiting"), 12),
              PadRight(absl::StrCat(h.open_windows(), " open / min ",
                                    h.min_open_windows()),
                       16),
              h.alarms(), h.alarms() == 1 ? " alarm" : " alarms");
        }
        return Shown{text.empty() ? "no halls" : text};
      });
}

int GetHall(Client& client) {
  v1::GetHallRequest request;
  request.set_hall_id(client.hall());
  return RunUnary(client, &v1::Supervisor::Stub::GetHall, request,
                  [](const v1::HallView& view) {
                    const absl::Time now = absl::Now();
                    std::string frame = RenderDashboard(view, now, now, {});
                    frame.pop_back();  // PrintLine adds the last newline.
                    return Shown{frame};
                  });
}

int SetMin(Client& client, const AdminOptions& o) {
  v1::SetMinOpenWindowsRequest request;
  request.set_hall_id(client.hall());
  request.set_min_open_windows(o.min_open_windows);
  request.set_request_id(client.RequestId());
  return RunUnary(client, &v1::Supervisor::Stub::SetMinOpenWindows, request,
                  [&](const v1::CommandReply&) {
                    return Shown{absl::StrCat(
                        client.hall(), " keeps at least ", o.min_open_windows,
                        " windows open during business hours")};
                  });
}

int Void(Client& client, const AdminOptions& o) {
  v1::VoidTicketRequest request;
  request.set_hall_id(client.hall());
  request.set_ticket(o.ticket);
  request.set_reason(o.reason);
  request.set_request_id(client.RequestId());
  return RunUnary(
      client, &v1::Supervisor::Stub::VoidTicket, request,
      [](const v1::CommandReply& reply) {
        return Shown{absl::StrCat(reply.ticket().number(), " voided")};
      });
}

}  // namespace

void AddAdminCommands(CLI::App* app, Cli* cli) {
  CLI::App* admin =
      app->add_subcommand("admin", "supervise halls (supervisor token)");
  admin->require_subcommand(1);
  auto o = std::make_shared<AdminOptions>();
  AddAction(admin, cli, "halls", "the halls this token may see",
            Needs::kNothing, ListHalls);
  AddAction(admin, cli, "hall", "the hall right now (one frame of top)",
            Needs::kHall, GetHall);
  AddAction(admin, cli, "set-min",
            "the fewest windows that must stay open during business hours",
            Needs::kHallAndRequestId,
            [o](Client& client) { return SetMin(client, *o); })
      ->add_option("count", o->min_open_windows, "number of windows")
      ->check(CLI::NonNegativeNumber)
      ->required();
  CLI::App* void_command =
      AddAction(admin, cli, "void", "void a ticket (it will not be called)",
                Needs::kHallAndRequestId,
                [o](Client& client) { return Void(client, *o); });
  void_command->add_option("ticket", o->ticket, "ticket number, e.g. A012")
      ->required();
  void_command->add_option("--reason", o->reason, "why, recorded")->required();
}

}  // namespace qcall::cli
