// qcall counter ...: a clerk's window. Every command names the window (as
// its argument, with -w, or from QCALL_WINDOW) and says in one line what
// happened: "window 3 calls A012".
#include <cstdlib>
#include <map>
#include <memory>

#include "absl/strings/str_cat.h"
#include "clients/cli/commands.h"

namespace qcall::cli {
namespace {

using WindowMethod = grpc::Status (v1::Counter::Stub::*)(
    grpc::ClientContext*, const v1::WindowRequest&, v1::CommandReply*);

std::string UserName() {
  const char* user = std::getenv("USER");
  return user != nullptr ? user : "";
}

struct CounterOptions {
  int32_t window = 0;
  std::string clerk = UserName();
  std::string ticket;
  std::string reason;
  std::string override_reason;
  std::string supervisor = UserName();
  std::string to_service;
  int32_t to_window = 0;
  v1::Placement placement = v1::PLACEMENT_UNSPECIFIED;
};

std::string WindowText(int32_t window) {
  return absl::StrCat("window ", window);
}

// Builds the request every counter command shares.
template <typename Request>
Request ForWindow(Client& client, int32_t window) {
  Request request;
  request.set_hall_id(client.hall());
  request.set_window(window);
  request.set_request_id(client.RequestId());
  return request;
}

// --override-reason lets a supervisor token go below the hall's minimum.
template <typename Request>
void SetOverride(const CounterOptions& o, Request* request) {
  request->set_reason(o.reason);
  if (!o.override_reason.empty()) {
    request->mutable_override()->set_reason(o.override_reason);
    request->mutable_override()->set_supervisor_id(o.supervisor);
  }
}

int Call(Client& client, const CounterOptions& o) {
  auto show = [&](const v1::CommandReply& reply) {
    // CallNext answers OK without a ticket when nobody waits for this window.
    if (!reply.has_ticket()) return Shown{"nobody waiting", kExitNothingToDo};
    return Shown{absl::StrCat(WindowText(o.window), " calls ",
                              reply.ticket().number(), "  ",
                              reply.ticket().service_name())};
  };
  if (!o.ticket.empty()) {
    auto request = ForWindow<v1::CallTicketRequest>(client, o.window);
    request.set_ticket(o.ticket);
    return RunUnary(client, &v1::Counter::Stub::CallTicket, request, show);
  }
  return RunUnary(client, &v1::Counter::Stub::CallNext,
                  ForWindow<v1::WindowRequest>(client, o.window), show);
}

int Transfer(Client& client, const CounterOptions& o) {
  if (o.to_service.empty() == (o.to_window == 0)) {
    std::fprintf(stderr, "qcall: transfer needs --to-service or --to-window\n");
    return kExitUsage;
  }
  auto request = ForWindow<v1::TransferRequest>(client, o.window);
  if (!o.to_service.empty()) {
    request.set_to_service_code(o.to_service);
  } else {
    request.set_to_window(o.to_window);
  }
  request.set_placement(o.placement);
  return RunUnary(
      client, &v1::Counter::Stub::Transfer, request,
      [&](const v1::CommandReply& reply) {
        const std::string& number = reply.ticket().number();
        if (o.to_service.empty()) {
          return Shown{absl::StrCat(number, " transferred to ",
                                    WindowText(o.to_window))};
        }
        return Shown{absl::StrCat(number, " transferred to ", o.to_service,
                                  ", ", reply.people_ahead(), " ahead")};
      });
}

}  // namespace

void AddCounterCommands(CLI::App* app, Cli* cli) {
  CLI::App* counter = app->add_subcommand("counter", "work a window");
  counter->require_subcommand(1);
  auto o = std::make_shared<CounterOptions>();
  auto add = [&](const std::string& name, const std::string& help,
                 std::function<int(Client&, const CounterOptions&)> run) {
    CLI::App* command =
        AddAction(counter, cli, name, help, Needs::kHallAndRequestId,
                  [o, run](Client& client) { return run(client, *o); });
    command->add_option("window,-w,--window", o->window, "window number")
        ->envname("QCALL_WINDOW")
        ->check(CLI::PositiveNumber)
        ->required();
    return command;
  };
  // The commands that only name the window, and what they print.
  struct Simple {
    const char* name;
    const char* help;
    WindowMethod method;
    std::string (*say)(int32_t window, const v1::CommandReply& reply);
  };
  for (const Simple& s : std::initializer_list<Simple>{
           {"resume", "open a paused window again",
            &v1::Counter::Stub::ResumeWindow,
            [](int32_t w, const v1::CommandReply&) {
              return absl::StrCat(WindowText(w), " open again");
            }},
           {"recall", "call the window's ticket again",
            &v1::Counter::Stub::Recall,
            [](int32_t w, const v1::CommandReply&r) {
              return absl::StrCat(WindowText(w), " calls ", r.ticket().number(),
                                  " again (recall ", r.ticket().recalls(), ")");
            }},
           {"start", "the called customer arrived: start serving",
            &v1::Counter::Stub::StartServing,
            [](int32_t w, const v1::CommandReply&r) {
              return absl::StrCat(WindowText(w), " serves ",
                                  r.ticket().number());
            }},
           {"noshow", "the called customer did not come",
            &v1::Counter::Stub::NoShow,
            [](int32_t w, const v1::CommandReply&r) {
              return absl::StrCat(r.ticket().number(), " did not come to ",
                                  WindowText(w));
            }}}) {
    add(s.name, s.help, [s](Client& client, const CounterOptions& opts) {
      return RunUnary(client, s.method,
                      ForWindow<v1::WindowRequest>(client, opts.window),
                      [&](const v1::CommandReply& reply) {
                        return Shown{s.say(opts.window, reply)};
                      });
    });
  }

  add("open", "open a window with a clerk",
      [](Client& client, const CounterOptions& opts) {
        auto request = ForWindow<v1::OpenWindowRequest>(client, opts.window);
        request.set_clerk_id(opts.clerk);
        return RunUnary(
            client, &v1::Counter::Stub::OpenWindow, request,
            [&](const v1::CommandReply&) {
              return Shown{absl::StrCat(WindowText(opts.window),
                                        " open, clerk ", opts.clerk)};
            });
      })
      ->add_option("--clerk", o->clerk, "clerk id (default: $USER)")
      ->envname("QCALL_CLERK");

  // close and pause: a reason, and a supervisor's override of the minimum.
  for (const bool close : {true, false}) {
    CLI::App* command = add(
        close ? "close" : "pause",
        close ? "close a window" : "pause a window (break, lunch)",
        [close](Client& client, const CounterOptions& opts) {
          auto said = [&](const v1::CommandReply&) {
            return Shown{absl::StrCat(WindowText(opts.window),
                                      close ? " closed" : " paused")};
          };
          if (close) {
            auto request =
                ForWindow<v1::CloseWindowRequest>(client, opts.window);
            SetOverride(opts, &request);
            return RunUnary(client, &v1::Counter::Stub::CloseWindow, request,
                            said);
          }
          auto request = ForWindow<v1::PauseWindowRequest>(client, opts.window);
          SetOverride(opts, &request);
          return RunUnary(client, &v1::Counter::Stub::PauseWindow, request,
                          said);
        });
    command->add_option("--reason", o->reason, "why, shown to the dashboard");
    command->add_option("--override-reason", o->override_reason,
                        "supervisor token only: go below the hall's minimum "
                        "of open windows, for this recorded reason");
    command->add_option("--supervisor", o->supervisor,
                        "your name, recorded with the override (default: "
                        "$USER)");
  }

  add("call", "call the next customer (or --ticket)", Call)
      ->add_option("--ticket", o->ticket,
                   "call this ticket instead of the next one");

  // The customer rates on the window's evaluator pad (/pad), not here.
  add("complete", "the customer is served",
      [](Client& client, const CounterOptions& opts) {
        auto request = ForWindow<v1::CompleteRequest>(client, opts.window);
        return RunUnary(
            client, &v1::Counter::Stub::Complete, request,
            [&](const v1::CommandReply& reply) {
              return Shown{absl::StrCat(WindowText(opts.window), " completed ",
                                        reply.ticket().number())};
            });
      });

  add("requeue",
      "a no-show customer came back to the window that called them: queue "
      "the ticket again",
      [](Client& client, const CounterOptions& opts) {
        v1::RequeueRequest request;
        request.set_hall_id(client.hall());
        request.set_window(opts.window);
        request.set_ticket(opts.ticket);
        request.set_request_id(client.RequestId());
        return RunUnary(client, &v1::Counter::Stub::Requeue, request,
                        [](const v1::CommandReply& reply) {
                          return Shown{DescribeTicket(reply)};
                        });
      })
      ->add_option("ticket", o->ticket, "ticket number, e.g. A012")
      ->required();

  CLI::App* transfer =
      add("transfer", "send the window's ticket to another service or window",
          Transfer);
  CLI::Option* to_service = transfer->add_option(
      "--to-service", o->to_service, "service code: waits in its queue");
  transfer
      ->add_option("--to-window", o->to_window,
                   "window number: called there first")
      ->excludes(to_service);
  const std::map<std::string, v1::Placement> placements = {
      {"first", v1::PLACEMENT_FIRST},
      {"last", v1::PLACEMENT_LAST},
      {"by-issue-time", v1::PLACEMENT_BY_ISSUE_TIME}};
  transfer
      ->add_option("--placement", o->placement,
                   "first, last or by-issue-time (default)")
      ->transform(CLI::CheckedTransformer(placements, CLI::ignore_case))
      ->option_text("first|last|by-issue-time");
}

}  // namespace qcall::cli
