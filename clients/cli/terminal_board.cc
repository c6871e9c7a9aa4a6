// qcall board: a display board in a terminal. It follows the hall's
// Display.Watch stream (HallStream: resumes by seq after a drop) and prints a
// line per call, "09:41:07  A012 → 3号窗口  请 A012 号到 3 号窗口办理"; with
// --all a line per event; with --json every message as one JSON object.
#include <memory>

#include "absl/strings/str_cat.h"
#include "clients/cli/commands.h"
#include "clients/cli/hall_stream.h"

namespace qcall::cli {
namespace {

struct BoardOptions {
  std::vector<int32_t> windows;
  uint64_t after_seq = 0;
  bool all = false;
};

// The snapshot in a few lines: the hall and who is being called right now.
void ShowSnapshot(const v1::HallView& view) {
  int waiting = 0;
  for (const auto& s : view.services()) waiting += s.waiting();
  PrintLine(absl::StrCat(view.name(), ": ", view.open_windows(),
                         view.open_windows() == 1 ? " window" : " windows",
                         " open, ", waiting, " waiting"));
  for (const v1::HallView::WindowView& w : view.windows()) {
    if (w.state() == v1::WINDOW_STATE_CALLING && w.has_ticket()) {
      PrintLine(
          absl::StrCat("          ", w.ticket().number(), " → ",
                       w.name().empty() ? absl::StrCat(w.number()) : w.name()));
    }
  }
}

int Board(Client& client, const BoardOptions& o) {
  HallStream stream(
      &client,
      {.supervisor = false, .after_seq = o.after_seq, .windows = o.windows});
  const absl::TimeZone zone = absl::LocalTimeZone();
  const grpc::Status end = stream.Run([&](const v1::WatchResponse& message) {
    if (client.json()) {
      PrintLine(ToJson(message));
    } else if (message.has_snapshot()) {
      ShowSnapshot(message.snapshot());
    } else if (o.all || message.event().has_ticket_called()) {
      PrintLine(absl::StrCat(FormatClock(message.event().at_unix_ms(), zone),
                             "  ", DescribeEvent(message.event())));
    }
  });
  return end.ok() ? kExitOk : client.Fail(end);
}

}  // namespace

void AddBoardCommand(CLI::App* app, Cli* cli) {
  auto o = std::make_shared<BoardOptions>();
  CLI::App* board = AddAction(
      app, cli, "board",
      "show the calls as they happen (a display board); Ctrl-C ends it",
      Needs::kHall, [o](Client& client) { return Board(client, *o); });
  board
      ->add_option("--windows", o->windows,
                   "only these windows, e.g. 1,2,3 (default: all)")
      ->delimiter(',');
  board->add_option("--after-seq", o->after_seq,
                    "start after this event instead of with a snapshot");
  board->add_flag("--all", o->all, "show every event, not only the calls");
}

}  // namespace qcall::cli
