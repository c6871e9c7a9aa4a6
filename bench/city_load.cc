#include "bench/city_load.h"

#include <grpcpp/grpcpp.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <deque>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <queue>
#include <random>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "bench/hall_routes.h"
#include "bench/load_tools.h"
#include "qcall/v1/api.grpc.pb.h"

namespace qcall {
namespace {

using load::Authorize;
using load::HallRoutes;
using load::Latencies;
using load::NowMicros;

constexpr char kKioskToken[] = "city-kiosk-token";
constexpr char kCounterToken[] = "city-counter-token";
constexpr char kDisplayToken[] = "city-display-token";

std::string HallId(int index) { return absl::StrFormat("city-%05d", index); }

}  // namespace

std::string CityConfig(const CityLoadOptions& options) {
  std::string config;
  for (int h = 0; h < options.halls; ++h) {
    absl::StrAppend(&config, "halls {\n  hall_id: \"", HallId(h),
                    "\" name: \"City hall ", h,
                    "\" time_zone: \"Asia/Shanghai\"\n"
                    "  services { code: \"S\" ticket_prefix: \"A\" "
                    "number_width: 9 prior_handling_seconds: 300 }\n");
    for (int w = 1; w <= options.windows_per_hall; ++w) {
      absl::StrAppend(&config, "  windows { number: ", w,
                      " serves { service_code: \"S\" } }\n");
    }
    for (int d = 1; d <= 7; ++d) {
      absl::StrAppend(&config, "  hours { weekday: ", d,
                      " open_minute: 0 close_minute: 1440 }\n");
    }
    absl::StrAppend(&config, "}\n");
  }
  absl::StrAppend(&config, "tokens { token: \"", kKioskToken,
                  "\" role: ROLE_KIOSK halls: \"*\" name: \"kiosks\" "
                  "issues_per_minute: 0 }\n",
                  "tokens { token: \"", kCounterToken,
                  "\" role: ROLE_COUNTER halls: \"*\" name: \"counters\" }\n",
                  "tokens { token: \"", kDisplayToken,
                  "\" role: ROLE_DISPLAY halls: \"*\" name: \"boards\" }\n");
  return config;
}

namespace {

// One hall's side of the load. A hall runs one cycle at a time (issue, call,
// start, complete), so only `sent` and `calls` are read from elsewhere.
struct HallLoad {
  HallLoad(int index, int windows)
      : id(HallId(index)), sent(windows + 1), random(index) {}
  const std::string id;
  // When CallNext was sent to each window, for the boards' latency.
  std::vector<std::atomic<int64_t>> sent;
  std::atomic<int64_t> calls{0};
  int next_window = 1;
  std::mt19937_64 random;
};

// A board of one hall: times each first call of a window it sees. When its
// hall's node says the hall is served elsewhere (at the start, or by ending
// the stream when the hall moves) it watches at the owner, after the last
// seq it saw: no call missed, none counted twice.
class CityBoard {
 public:
  CityBoard(HallRoutes* routes, size_t hall_index, size_t spread,
            HallLoad* hall, Latencies* latencies)
      : routes_(routes),
        hall_index_(hall_index),
        spread_(spread),
        hall_(hall),
        latencies_(latencies) {
    Watch(0);
  }
  ~CityBoard() { Stop(); }

  // Cancels the stream and waits for its end; false when it had ended
  // before (refused or cut by the server).
  bool Stop() {
    std::unique_lock lock(mu_);
    const bool was_live = !done_;
    stopping_ = true;
    if (stream_ != nullptr) stream_->context.TryCancel();
    cv_.wait(lock, [&] { return done_; });
    return was_live;
  }
  bool done() {
    std::lock_guard lock(mu_);
    return done_;
  }
  int64_t messages() const { return messages_; }
  int64_t calls_seen() const { return calls_seen_; }
  const HallLoad& hall() const { return *hall_; }

 private:
  class Stream final : public grpc::ClientReadReactor<v1::WatchResponse> {
   public:
    Stream(CityBoard* board, v1::Display::Stub* stub, uint64_t after_seq)
        : board_(board) {
      Authorize(&context, kDisplayToken);
      request_.set_hall_id(board->hall_->id);
      request_.set_after_seq(after_seq);
      stub->async()->Watch(&context, &request_, this);
      StartRead(&response_);
      StartCall();
    }
    void OnReadDone(bool ok) override {
      if (!ok) return;
      board_->Receive(response_);
      StartRead(&response_);
    }
    void OnDone(const grpc::Status& status) override {
      board_->Ended(this, status);
    }
    grpc::ClientContext context;

   private:
    CityBoard* const board_;
    v1::WatchRequest request_;
    v1::WatchResponse response_;
  };

  void Watch(uint64_t after_seq) {
    auto stream = std::make_unique<Stream>(
        this, routes_->Display(hall_index_, spread_), after_seq);
    std::lock_guard lock(mu_);
    if (stopping_) stream->context.TryCancel();
    stream_ = stream.get();
    streams_.push_back(std::move(stream));
  }

  // One stream at a time reads, so these never overlap.
  void Receive(const v1::WatchResponse& response) {
    ++messages_;
    if (response.has_snapshot()) {
      last_seq_ = response.snapshot().last_seq();
      return;
    }
    if (response.event().seq() <= last_seq_) return;
    last_seq_ = response.event().seq();
    if (response.event().has_ticket_called() &&
        response.event().ticket_called().recall() == 0) {
      const int32_t window = response.event().ticket_called().window();
      if (window > 0 && static_cast<size_t>(window) < hall_->sent.size()) {
        latencies_->Add(NowMicros() - hall_->sent[window].load());
      }
      ++calls_seen_;
    }
  }

  void Ended(Stream* stream, const grpc::Status& status) {
    {
      std::lock_guard lock(mu_);
      if (stopping_ || !routes_->Follow(hall_index_, stream->context, status)) {
        status_ = status;
        done_ = true;
        cv_.notify_all();
        return;
      }
    }
    Watch(last_seq_);
  }

  HallRoutes* const routes_;
  const size_t hall_index_;
  const size_t spread_;
  HallLoad* const hall_;
  Latencies* const latencies_;
  std::atomic<int64_t> messages_{0};
  std::atomic<int64_t> calls_seen_{0};
  std::atomic<uint64_t> last_seq_{0};
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  bool done_ = false;
  grpc::Status status_;
  // Every stream this board opened (one reads at a time), freed with it.
  std::vector<std::unique_ptr<Stream>> streams_;
  Stream* stream_ = nullptr;
};

// Drives every hall's cycles from one scheduling thread: a cycle is started
// when it is due and, when its last call returns, the hall's next one is
// due after an exponential gap.
class CityDriver {
 public:
  CityDriver(const CityLoadOptions& options,
             std::vector<std::unique_ptr<HallLoad>>* halls, HallRoutes* routes)
      : options_(options), halls_(*halls), routes_(*routes) {}

  // Opens every window of every hall, all calls in flight at once.
  bool OpenWindows() {
    std::atomic<int> failed{0};
    Countdown left(static_cast<int>(halls_.size()) * options_.windows_per_hall);
    for (size_t h = 0; h < halls_.size(); ++h) {
      for (int w = 1; w <= options_.windows_per_hall; ++w) {
        v1::OpenWindowRequest open;
        open.set_hall_id(halls_[h]->id);
        open.set_window(w);
        open.set_clerk_id(absl::StrCat("clerk-", w));
        Send(
            h, kCounterToken, open,
            [this](size_t hall, Unary<v1::OpenWindowRequest>* call,
                   std::function<void(grpc::Status)> done) {
              routes_.Counter(hall, hall)
                  ->async()
                  ->OpenWindow(&call->context, &call->request, &call->reply,
                               std::move(done));
            },
            [&failed, &left](const grpc::Status& status,
                             const v1::CommandReply&) {
              if (!status.ok()) ++failed;
              left.Done();
            });
      }
    }
    left.Wait();
    return failed == 0;
  }

  // Runs cycles for `seconds`, then waits for the cycles in flight.
  void Run(double seconds) {
    const int64_t begin = NowMicros();
    const int64_t deadline = begin + static_cast<int64_t>(seconds * 1e6);
    {
      std::lock_guard lock(mu_);
      for (size_t h = 0; h < halls_.size(); ++h) {
        std::uniform_int_distribution<int64_t> spread(
            0, int64_t{options_.call_interval_ms} * 1000);
        due_.emplace(begin + spread(halls_[h]->random), h);
      }
    }
    std::unique_lock lock(mu_);
    while (true) {
      const int64_t now = NowMicros();
      if (now >= deadline) break;
      if (due_.empty() || due_.top().first > now) {
        const int64_t until =
            due_.empty() ? deadline : std::min(deadline, due_.top().first);
        cv_.wait_for(lock, std::chrono::microseconds(until - now));
        continue;
      }
      const size_t hall = due_.top().second;
      due_.pop();
      ++in_flight_;
      lock.unlock();
      Issue(hall);
      lock.lock();
    }
    stopping_ = true;
    cv_.wait(lock, [&] { return in_flight_ == 0; });
  }

  int64_t cycles() const { return cycles_; }
  int64_t failures() const { return failures_; }

 private:
  template <typename Request>
  struct Unary {
    grpc::ClientContext context;
    Request request;
    v1::CommandReply reply;
  };

  class Countdown {
   public:
    explicit Countdown(int n) : left_(n) {}
    void Done() {
      std::lock_guard lock(mu_);
      if (--left_ == 0) cv_.notify_all();
    }
    void Wait() {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [&] { return left_ == 0; });
    }

   private:
    std::mutex mu_;
    std::condition_variable cv_;
    int left_;
  };

  using Done =
      std::function<void(const grpc::Status&, const v1::CommandReply&)>;

  // Sends one call of `hall` (`start` makes it on the hall's node); a node
  // that names the hall's owner gets it sent again there, at most
  // HallRoutes::kMaxHops times in a row. The same request goes again: its
  // request id, if any, keeps a command from being made twice.
  template <typename Request, typename Start>
  void Send(size_t hall, const char* token, Request request, Start start,
            Done done, int hops = 0) {
    auto call = std::make_shared<Unary<Request>>();
    Authorize(&call->context, token);
    call->request = std::move(request);
    start(hall, call.get(),
          [this, call, hall, token, start, done = std::move(done),
           hops](grpc::Status status) mutable {
            if (hops < HallRoutes::kMaxHops &&
                routes_.Follow(hall, call->context, status)) {
              Send(hall, token, std::move(call->request), start,
                   std::move(done), hops + 1);
              return;
            }
            done(status, call->reply);
          });
  }

  // A call of one of `hall`'s windows on its counter.
  template <typename Request, typename Method>
  void WindowCall(size_t hall, Request request, Method method, Done done) {
    Send(
        hall, kCounterToken, std::move(request),
        [this, method](size_t h, Unary<Request>* call,
                       std::function<void(grpc::Status)> finished) {
          (routes_.Counter(h, h)->async()->*method)(
              &call->context, &call->request, &call->reply,
              std::move(finished));
        },
        std::move(done));
  }

  template <typename Request>
  Request ForWindow(size_t hall, int window) {
    Request request;
    request.set_hall_id(halls_[hall]->id);
    request.set_window(window);
    return request;
  }

  void Issue(size_t hall) {
    v1::IssueTicketRequest issue;
    issue.set_hall_id(halls_[hall]->id);
    issue.set_service_code("S");
    issue.set_request_id(absl::StrCat("city-", request_ids_++));
    Send(
        hall, kKioskToken, std::move(issue),
        [this](size_t h, Unary<v1::IssueTicketRequest>* call,
               std::function<void(grpc::Status)> finished) {
          routes_.Kiosk(h, h)->async()->IssueTicket(
              &call->context, &call->request, &call->reply,
              std::move(finished));
        },
        [this, hall](const grpc::Status& status, const v1::CommandReply&) {
          status.ok() ? Call(hall) : EndCycle(hall, false);
        });
  }

  using CounterAsync = v1::Counter::StubInterface::async_interface;
  template <typename Request>
  using CounterMethod = void (CounterAsync::*)(
      grpc::ClientContext*, const Request*, v1::CommandReply*,
      std::function<void(grpc::Status)>);

  void Call(size_t hall) {
    HallLoad& load = *halls_[hall];
    const int window = load.next_window;
    load.next_window = window % options_.windows_per_hall + 1;
    load.sent[window] = NowMicros();
    WindowCall(hall, ForWindow<v1::WindowRequest>(hall, window),
               CounterMethod<v1::WindowRequest>(&CounterAsync::CallNext),
               [this, hall, window](const grpc::Status& status,
                                    const v1::CommandReply& reply) {
                 if (!status.ok() || !reply.has_ticket()) {
                   EndCycle(hall, false);
                   return;
                 }
                 ++halls_[hall]->calls;
                 Start(hall, window);
               });
  }

  void Start(size_t hall, int window) {
    WindowCall(hall, ForWindow<v1::WindowRequest>(hall, window),
               CounterMethod<v1::WindowRequest>(&CounterAsync::StartServing),
               [this, hall, window](const grpc::Status& status,
                                    const v1::CommandReply&) {
                 status.ok() ? Complete(hall, window) : EndCycle(hall, false);
               });
  }

  void Complete(size_t hall, int window) {
    WindowCall(
        hall, ForWindow<v1::CompleteRequest>(hall, window),
        CounterMethod<v1::CompleteRequest>(&CounterAsync::Complete),
        [this, hall](const grpc::Status& status, const v1::CommandReply&) {
          EndCycle(hall, status.ok());
        });
  }

  void EndCycle(size_t hall, bool ok) {
    std::exponential_distribution<double> gap(1.0);
    const int64_t next =
        NowMicros() + static_cast<int64_t>(gap(halls_[hall]->random) *
                                           options_.call_interval_ms * 1000.0);
    std::lock_guard lock(mu_);
    ok ? ++cycles_ : ++failures_;
    --in_flight_;
    if (!stopping_) due_.emplace(next, hall);
    cv_.notify_all();
  }

  const CityLoadOptions& options_;
  std::vector<std::unique_ptr<HallLoad>>& halls_;
  HallRoutes& routes_;
  std::atomic<int64_t> request_ids_{0};

  std::mutex mu_;
  std::condition_variable cv_;
  // (when, hall), soonest first.
  std::priority_queue<std::pair<int64_t, size_t>,
                      std::vector<std::pair<int64_t, size_t>>, std::greater<>>
      due_;
  int in_flight_ = 0;
  bool stopping_ = false;
  int64_t cycles_ = 0;
  int64_t failures_ = 0;
};

}  // namespace

int RunCityLoad(const CityLoadOptions& options) {
  const std::filesystem::path work = std::filesystem::temp_directory_path() /
                                     absl::StrCat("qcall-city-", getpid());
  std::filesystem::create_directories(work);
  const int boards = options.halls * options.boards_per_hall;
  std::vector<std::string> qcalld_args = options.qcalld_args;
  const bool streams_given = std::any_of(
      qcalld_args.begin(), qcalld_args.end(), [](const std::string& a) {
        return absl::StartsWith(a, "--max-streams");
      });
  if (!streams_given) {
    qcalld_args.push_back(absl::StrCat("--max-streams=", boards + 100));
  }
  const int64_t started = NowMicros();
  // With --entry the nodes are someone else's: nothing to start, and their
  // memory is not ours to read.
  const std::unique_ptr<load::Child> server =
      options.entry.empty() ? load::StartQcalld(options.qcalld, qcalld_args,
                                                work, CityConfig(options))
                            : nullptr;
  const double start_seconds = static_cast<double>(NowMicros() - started) / 1e6;
  const auto rss = [&server] {
    return server != nullptr ? load::RssKib(server->pid()) : 0;
  };

  std::vector<std::unique_ptr<HallLoad>> halls;
  for (int h = 0; h < options.halls; ++h) {
    halls.push_back(std::make_unique<HallLoad>(h, options.windows_per_hall));
  }
  // Counters and kiosks on channels of their own, boards on theirs, to
  // each node that serves some of the halls. A board learns where its hall
  // is from its own stream, as a board apart from the counters does.
  const std::string entry =
      options.entry.empty() ? server->target() : options.entry;
  HallRoutes routes(entry, halls.size(), {.commands = 2, .boards = 0});
  HallRoutes board_routes(
      entry, halls.size(),
      {.commands = 0, .boards = std::max(1, options.board_connections)});

  CityDriver driver(options, &halls, &routes);
  if (!driver.OpenWindows()) {
    std::fprintf(stderr, "qcall-load: opening the halls' windows failed\n");
    return 1;
  }
  std::this_thread::sleep_for(std::chrono::seconds(1));
  const int64_t rest_kib = rss();

  Latencies latency;
  std::vector<std::unique_ptr<CityBoard>> watching;
  for (int b = 0; b < boards; ++b) {
    const int hall = b % options.halls;
    watching.push_back(std::make_unique<CityBoard>(
        &board_routes, hall, b, halls[hall].get(), &latency));
  }
  // Subscribed: every board has its snapshot (or has ended).
  for (int i = 0; i < 600; ++i) {
    if (std::all_of(watching.begin(), watching.end(), [](auto& board) {
          return board->messages() > 0 || board->done();
        })) {
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  std::this_thread::sleep_for(std::chrono::seconds(1));
  const int64_t subscribed_kib = rss();

  std::optional<load::RssPeak> peak;
  if (server != nullptr) peak.emplace(server->pid());
  driver.Run(options.seconds);
  std::this_thread::sleep_for(std::chrono::seconds(2));  // Stragglers.
  const int64_t peak_kib = peak ? peak->Stop() : 0;
  const int64_t end_kib = rss();

  int complete_boards = 0, ended_early = 0;
  for (auto& board : watching) {
    if (board->calls_seen() == board->hall().calls.load()) ++complete_boards;
    if (!board->Stop()) ++ended_early;
  }
  int64_t calls = 0;
  for (const auto& hall : halls) calls += hall->calls;
  watching.clear();
  std::filesystem::remove_all(work);

  std::printf(
      "qcall-load city: %d halls x %d boards (%d streams on %zu "
      "connections), %d windows each, a call per hall every %d ms on "
      "average, %.0f s; qcalld started in %.1f s\n",
      options.halls, options.boards_per_hall, boards,
      static_cast<size_t>(std::max(1, options.board_connections)),
      options.windows_per_hall, options.call_interval_ms, options.seconds,
      start_seconds);
  std::printf("%-34s %12s %9s %9s %9s\n", "phase", "per second", "p50 ms",
              "p99 ms", "p99.9 ms");
  std::printf(
      "%-34s %12.0f %9.3f %9.3f %9.3f\n", "CallNext -> event on each board",
      static_cast<double>(latency.count()) / options.seconds,
      latency.Percentile(50), latency.Percentile(99), latency.Percentile(99.9));
  std::printf(
      "cycles (issue, call, start, complete): %lld, failed: %lld; calls: "
      "%lld (%.0f per second); boards that saw every call of their hall: "
      "%d of %d; ended early: %d\n",
      static_cast<long long>(driver.cycles()),
      static_cast<long long>(driver.failures()), static_cast<long long>(calls),
      static_cast<double>(calls) / options.seconds, complete_boards, boards,
      ended_early);
  if (routes.moves() + board_routes.moves() > 0) {
    std::printf(
        "sent on to their hall's owner: %lld calls, %lld board streams\n",
        static_cast<long long>(routes.moves()),
        static_cast<long long>(board_routes.moves()));
  }
  if (server == nullptr) {
    std::printf("qcalld RSS: not measured (nodes at --entry %s)\n",
                options.entry.c_str());
  } else {
    std::printf(
        "qcalld RSS: %.1f MB with %d halls at rest, %.1f MB with %d boards "
        "subscribed (%.1f KB per idle board), peak %.1f MB during the calls, "
        "%.1f MB after them\n",
        static_cast<double>(rest_kib) / 1024, options.halls,
        static_cast<double>(subscribed_kib) / 1024, boards,
        boards > 0 ? static_cast<double>(subscribed_kib - rest_kib) / boards
                   : 0.0,
        static_cast<double>(peak_kib) / 1024,
        static_cast<double>(end_kib) / 1024);
  }
  return driver.failures() == 0 && complete_boards == boards &&
                 ended_early == 0 && calls > 0
             ? 0
             : 1;
}

}  // namespace qcall
