// qcall top: the hall live, like htop. It asks for the hall (GetHall) when
// Supervisor.Watch reports an event, at most ten times a second, and redraws
// every second in between so that waits and times in state keep counting.
// On a terminal it draws in the alternate screen with ANSI escapes (no
// ncurses) and gives the screen back on Ctrl-C; into a pipe or file it
// prints a frame per change. While qcalld cannot be reached it keeps the
// last view, says since when on the first line, and asks every second.
// --once prints one frame and exits.
//
// Threads: the stream is read on its own thread, which only wakes the main
// thread through a pipe; so does the signal handler. The main thread alone
// calls GetHall and writes to the terminal.
#include <fcntl.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <optional>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "clients/cli/commands.h"
#include "clients/cli/dashboard.h"
#include "clients/cli/hall_stream.h"

namespace qcall::cli {
namespace {

constexpr absl::Duration kMinFetchInterval = absl::Milliseconds(100);

struct TopOptions {
  bool once = false;
  bool no_color = false;
};

// The write end of the wake-up pipe, for the signal handler.
int wake_fd = -1;
volatile std::sig_atomic_t quit = 0;

void OnSignal(int) {
  quit = 1;
  const char byte = 'q';
  [[maybe_unused]] ssize_t ignored = write(wake_fd, &byte, 1);
}

void Write(absl::string_view text) {
  std::fwrite(text.data(), 1, text.size(), stdout);
  std::fflush(stdout);
}

struct Screen {
  int width = 0;
  int height = 0;
};

std::optional<Screen> TerminalSize() {
  winsize size{};
  if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &size) != 0 || size.ws_col == 0) {
    return std::nullopt;
  }
  return Screen{size.ws_col, size.ws_row};
}

bool ColorWanted(const TopOptions& o) {
  return !o.no_color && std::getenv("NO_COLOR") == nullptr &&
         isatty(STDOUT_FILENO);
}

grpc::Status FetchHall(Client& client, v1::HallView* view) {
  v1::GetHallRequest request;
  request.set_hall_id(client.hall());
  return client.Call(&v1::Supervisor::Stub::GetHall, request, view);
}

int Once(Client& client, const TopOptions& o) {
  v1::HallView view;
  if (grpc::Status status = FetchHall(client, &view); !status.ok()) {
    return client.Fail(status);
  }
  if (client.json()) {
    PrintLine(ToJson(view));
    return kExitOk;
  }
  const absl::Time now = absl::Now();
  DashboardStyle style{.color = ColorWanted(o)};
  if (std::optional<Screen> screen = TerminalSize())
    style.width = screen->width;
  Write(RenderDashboard(view, now, now, style));
  return kExitOk;
}

// What the stream's thread tells the main thread.
struct StreamNews {
  std::atomic<bool> changed = false;  // An event arrived: ask again.
  std::atomic<bool> ended = false;    // Refused for good: `end` says why.
  grpc::Status end;
  absl::Mutex mu;
  // Why the stream is down, and when it is opened again.
  std::string trouble ABSL_GUARDED_BY(mu);
  absl::Time retry_at ABSL_GUARDED_BY(mu);
};

int Live(Client& client, const TopOptions& o) {
  v1::HallView view;
  if (grpc::Status status = FetchHall(client, &view); !status.ok()) {
    return client.Fail(status);
  }
  absl::Time taken = absl::Now();

  int wake[2];
  if (pipe2(wake, O_CLOEXEC | O_NONBLOCK) != 0) {
    std::perror("qcall: pipe");
    return kExitFailed;
  }
  wake_fd = wake[1];
  struct sigaction action {};
  action.sa_handler = OnSignal;
  sigaction(SIGINT, &action, nullptr);
  sigaction(SIGTERM, &action, nullptr);
  const auto wake_up = [fd = wake[1]] {
    const char byte = 'w';
    [[maybe_unused]] ssize_t ignored = write(fd, &byte, 1);
  };

  StreamNews news;
  HallStream stream(
      &client, {.supervisor = true,
                .after_seq = view.last_seq(),
                .on_retry = [&](const std::string& why, absl::Duration wait) {
                  absl::MutexLock lock(&news.mu);
                  news.trouble = why;
                  news.retry_at = absl::Now() + wait;
                }});
  std::thread reader([&] {
    news.end = stream.Run([&](const v1::WatchResponse&) {
      {
        absl::MutexLock lock(&news.mu);
        news.trouble.clear();
      }
      news.changed = true;
      wake_up();
    });
    news.ended = true;
    wake_up();
  });

  const bool terminal = isatty(STDOUT_FILENO);
  const bool color = ColorWanted(o);
  if (terminal) Write("\x1b[?1049h\x1b[?25l");  // Alternate screen, no cursor.
  std::string fetch_trouble;  // Why the view is older than the last event.
  absl::Time next_fetch = taken + kMinFetchInterval;
  bool fresh = true;
  while (!quit && !news.ended) {
    const absl::Time now = absl::Now();
    if (client.json()) {
      if (fresh) PrintLine(ToJson(view));
    } else if (terminal) {
      DashboardStyle style{.color = color};
      if (std::optional<Screen> screen = TerminalSize()) {
        style.width = screen->width;
        style.height = screen->height - 1;
      }
      std::string trouble = fetch_trouble;
      {
        absl::MutexLock lock(&news.mu);
        if (trouble.empty()) trouble = news.trouble;
      }
      if (!trouble.empty()) {
        style.height -= 1;
        trouble = absl::StrCat(color ? "\x1b[31m" : "", "qcall: ", trouble,
                               color ? "\x1b[0m" : "", "\n");
      }
      const std::string frame =
          trouble + RenderDashboard(view, taken, now, style);
      Write(absl::StrCat("\x1b[H",
                         absl::StrReplaceAll(frame, {{"\n", "\x1b[K\n"}}),
                         "\x1b[J"));
    } else if (fresh) {
      Write(absl::StrCat(RenderDashboard(view, taken, now, {}), "\n"));
    }
    fresh = false;

    // Sleep until the next second (the clocks move on), a signal, or an
    // event, which is fetched no sooner than `next_fetch`.
    absl::Duration wait =
        absl::Seconds(1) -
        (now - absl::FromUnixSeconds(absl::ToUnixSeconds(now)));
    if (news.changed) {
      wait = std::clamp(next_fetch - now, absl::ZeroDuration(), wait);
    }
    pollfd readable{.fd = wake[0], .events = POLLIN, .revents = 0};
    poll(&readable, 1, static_cast<int>(absl::ToInt64Milliseconds(wait)) + 1);
    char drained[64];
    while (read(wake[0], drained, sizeof drained) > 0) {
    }
    // While the stream is down the hall is asked for every second; once
    // qcalld answers after the stream's retry, the stream is back too (else
    // its next retry says otherwise).
    absl::Time stream_retry_at = absl::InfiniteFuture();
    {
      absl::MutexLock lock(&news.mu);
      if (!news.trouble.empty()) {
        stream_retry_at = news.retry_at;
        news.changed = true;
      }
    }
    if (news.changed && absl::Now() >= next_fetch) {
      news.changed = false;
      v1::HallView next;
      const grpc::Status status = FetchHall(client, &next);
      const absl::Time asked = absl::Now();
      if (status.ok()) {
        view = std::move(next);
        taken = asked;
        fetch_trouble.clear();
        fresh = true;
        next_fetch = asked + (stream_retry_at == absl::InfiniteFuture()
                                  ? kMinFetchInterval
                                  : absl::Seconds(1));
        if (asked > stream_retry_at) {
          absl::MutexLock lock(&news.mu);
          if (news.retry_at == stream_retry_at) news.trouble.clear();
        }
      } else {
        fetch_trouble = absl::StrCat(
            "showing the hall as of ",
            absl::FormatTime("%H:%M:%S", taken, absl::LocalTimeZone()), ": ",
            client.Explain(status));
        news.changed = true;  // Ask again, in a second.
        next_fetch = asked + absl::Seconds(1);
      }
    }
  }
  stream.Stop();
  reader.join();
  // Errors go out after the screen is given back, or nobody would see them.
  if (terminal) Write("\x1b[?25h\x1b[?1049l");
  close(wake[0]);
  close(wake[1]);
  if (!quit && news.ended && !news.end.ok()) return client.Fail(news.end);
  return kExitOk;
}

}  // namespace

void AddTopCommand(CLI::App* app, Cli* cli) {
  auto o = std::make_shared<TopOptions>();
  CLI::App* top = AddAction(
      app, cli, "top",
      "the hall live: windows, waiting, alarms (supervisor token); Ctrl-C "
      "ends it",
      Needs::kHall, [o](Client& client) {
        return o->once ? Once(client, *o) : Live(client, *o);
      });
  top->add_flag("--once", o->once, "print one frame and exit");
  top->add_flag("--no-color", o->no_color,
                "no colours (also when NO_COLOR is set)");
}

}  // namespace qcall::cli
