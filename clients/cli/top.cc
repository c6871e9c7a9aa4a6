// qcall top: the hall live, like htop. It asks for the hall (GetHall) when
// Supervisor.Watch reports an event, at most ten times a second, and redraws
// every second in between so that waits and times in state keep counting.
// On a terminal it draws in the alternate screen with ANSI escapes (no
// ncurses) and gives the screen back on Ctrl-C; into a pipe or file it
// prints a frame per change. While qcalld cannot be reached it keeps the
// last view, says since when on the first line, and asks every second.
// --once prints one frame and exits. Times are the hall's (its time zone),
// not the machine's. Keys, read from stdin: q quits, n and p switch to the
// next and previous hall the token may see (Supervisor.ListHalls); the last
// line says so.
//
// Threads: the stream is read on its own thread, which only wakes the main
// thread through a pipe; so does the signal handler. The main thread alone
// calls GetHall and writes to the terminal.
#include <fcntl.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "clients/cli/commands.h"
#include "clients/cli/output.h"
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

// Keys without Enter and without echo while top runs on a terminal; the
// terminal's settings come back when it ends.
class RawKeys {
 public:
  RawKeys() {
    if (!isatty(STDIN_FILENO) || tcgetattr(STDIN_FILENO, &saved_) != 0) return;
    termios raw = saved_;
    raw.c_lflag &= ~static_cast<tcflag_t>(ICANON | ECHO);
    raw.c_cc[VMIN] = 1;
    raw.c_cc[VTIME] = 0;
    active_ = tcsetattr(STDIN_FILENO, TCSANOW, &raw) == 0;
  }
  ~RawKeys() {
    if (active_) tcsetattr(STDIN_FILENO, TCSANOW, &saved_);
  }
  RawKeys(const RawKeys&) = delete;
  RawKeys& operator=(const RawKeys&) = delete;

 private:
  termios saved_{};
  bool active_ = false;
};

// What a key asks for.
enum class KeyAction { kNone, kQuit, kNextHall, kPreviousHall };

KeyAction ActionOf(char key) {
  switch (key) {
    case 'q':
    case 'Q':
      return KeyAction::kQuit;
    case 'n':
    case 'N':
      return KeyAction::kNextHall;
    case 'p':
    case 'P':
      return KeyAction::kPreviousHall;
    default:
      return KeyAction::kNone;
  }
}

constexpr char kHelpLine[] = "q quit · n/p next/previous hall";

// The hall `step` places from the current one among those the token sees,
// or the current one when it sees no other.
std::string OtherHall(Client& client, int step) {
  v1::ListHallsResponse halls;
  if (!client
           .Call(&v1::Supervisor::Stub::ListHalls, v1::ListHallsRequest(),
                 &halls)
           .ok() ||
      halls.halls().empty()) {
    return client.hall();
  }
  std::vector<std::string> ids;
  for (const v1::HallSummary& h : halls.halls()) ids.push_back(h.hall_id());
  std::sort(ids.begin(), ids.end());
  const auto it = std::find(ids.begin(), ids.end(), client.hall());
  const int n = static_cast<int>(ids.size());
  const int at = it == ids.end() ? 0 : static_cast<int>(it - ids.begin());
  return ids[static_cast<size_t>(((at + step) % n + n) % n)];
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

// Runs until the user quits or asks for another hall; returns the exit
// code, and in `switch_to` the hall asked for (empty: none).
int Live(Client& client, const TopOptions& o, std::string* switch_to) {
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
  // Keys come from stdin until it ends (a script's /dev/null ends at once).
  bool keys_open = true;
  RawKeys raw_keys;
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
        style.height = screen->height - 2;  // And the help line.
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
      const std::string frame = absl::StrCat(
          trouble, RenderDashboard(view, taken, now, style),
          color ? "\x1b[2m" : "", kHelpLine, color ? "\x1b[0m" : "", "\n");
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
    pollfd readable[2] = {{.fd = wake[0], .events = POLLIN, .revents = 0},
                          {.fd = STDIN_FILENO, .events = POLLIN, .revents = 0}};
    poll(readable, keys_open ? 2 : 1,
         static_cast<int>(absl::ToInt64Milliseconds(wait)) + 1);
    char drained[64];
    while (read(wake[0], drained, sizeof drained) > 0) {
    }
    if (keys_open && (readable[1].revents & (POLLIN | POLLHUP)) != 0) {
      char keys[16];
      const ssize_t n = read(STDIN_FILENO, keys, sizeof keys);
      if (n <= 0) keys_open = false;
      for (ssize_t i = 0; i < n; ++i) {
        const KeyAction key = ActionOf(keys[i]);
        if (key == KeyAction::kQuit) quit = 1;
        if (key == KeyAction::kNextHall || key == KeyAction::kPreviousHall) {
          std::string other =
              OtherHall(client, key == KeyAction::kNextHall ? 1 : -1);
          if (other != client.hall()) *switch_to = std::move(other);
        }
      }
      if (quit || !switch_to->empty()) break;
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
            absl::FormatTime("%H:%M:%S", taken,
                             HallZone(view.time_zone(), absl::LocalTimeZone())),
            ": ", client.Explain(status));
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
      "the hall live: windows, waiting, alarms (supervisor token); q or "
      "Ctrl-C ends it, n/p switch halls",
      Needs::kHall, [o](Client& client) {
        if (o->once) return Once(client, *o);
        for (;;) {
          std::string switch_to;
          const int code = Live(client, *o, &switch_to);
          if (switch_to.empty()) return code;
          client.set_hall(std::move(switch_to));
        }
      });
  top->add_flag("--once", o->once, "print one frame and exit");
  top->add_flag("--no-color", o->no_color,
                "no colours (also when NO_COLOR is set)");
}

}  // namespace qcall::cli
