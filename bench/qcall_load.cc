// qcall-load drives a real qcalld over gRPC and reports throughput and
// latency percentiles, with a trivial echo server measured the same way in
// the same run as the baseline.
//
//   build/bench/qcall-load --duration 10 --streams 1000
//   build/bench/qcall-load --duration 4 --rounds 5 --streams 0
//
// The baselines run on bare gRPC, in a child process with qcalld's settings;
// qcalld is a fresh child process with a temporary data folder. Phases:
// (1) `--rounds` times in turn: a unary echo, a hand-off echo (answered from
// a thread of its own), a durable echo (answered once journaled) and durable
// IssueTicket, each from the same closed-loop client;
// (2) a baseline fan-out that writes each published message to every stream
// the way qcalld's event hub does, driven by the same clerks; (3) counters
// calling next on qcalld while display streams watch: the time from sending
// CallNext to the TicketCalled event arriving on every stream.
#include <grpcpp/grpcpp.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <boost/asio/post.hpp>
#include <boost/asio/thread_pool.hpp>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "CLI/CLI.hpp"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "bench/city_load.h"
#include "bench/echo.grpc.pb.h"
#include "bench/load_tools.h"
#include "dispatcher/group_commit_journal.h"
#include "dispatcher/sqlite_journal_store.h"
#include "dispatcher/tsan_annotations.h"
#include "qcall/v1/api.grpc.pb.h"

namespace qcall {
namespace {

using load::Authorize;
using load::Child;
using load::Connect;
using load::Latencies;
using load::Median;
using load::NowMicros;
using load::RssKib;
using load::RssPeak;
using load::StartQcalld;
using Clock = std::chrono::steady_clock;

// Keeps `concurrency` asynchronous calls in flight until the deadline.
// `start(done)` begins one call and calls done(ok) when it completes. Returns
// calls per second and adds the failed calls to `*failures`.
struct ClosedLoop {
  using Start = std::function<void(std::function<void(bool)>)>;

  static double Run(int concurrency, double seconds, const Start& start,
                    Latencies* latencies, int64_t* failures) {
    struct State {
      std::mutex mu;
      std::condition_variable cv;
      int running = 0;
      std::atomic<int64_t> done{0};
      std::atomic<int64_t> failed{0};
      Clock::time_point deadline;
    };
    auto state = std::make_shared<State>();
    const Clock::time_point begin = Clock::now();
    state->deadline =
        begin + std::chrono::microseconds(static_cast<int64_t>(seconds * 1e6));
    state->running = concurrency;
    auto issue = std::make_shared<std::function<void()>>();
    *issue = [state, &start, latencies, issue] {
      const int64_t t0 = NowMicros();
      start([state, t0, latencies, issue](bool ok) {
        latencies->Add(NowMicros() - t0);
        ++state->done;
        if (!ok) ++state->failed;
        if (Clock::now() < state->deadline) {
          (*issue)();
        } else {
          std::lock_guard lock(state->mu);
          if (--state->running == 0) state->cv.notify_all();
        }
      });
    };
    for (int i = 0; i < concurrency; ++i) (*issue)();
    std::unique_lock lock(state->mu);
    state->cv.wait(lock, [&] { return state->running == 0; });
    const double elapsed =
        std::chrono::duration<double>(Clock::now() - begin).count();
    *failures += state->failed;
    *issue = nullptr;  // Break the self-reference.
    return static_cast<double>(state->done) / elapsed;
  }
};

// --serve-echo: the baseline server, with qcalld's settings.
class EchoWatch final : public grpc::ServerWriteReactor<bench::FanOutMessage> {
 public:
  void Deliver(const std::shared_ptr<const bench::FanOutMessage>& message) {
    std::lock_guard lock(mu_);
    if (done_) return;
    queue_.push_back(message);
    if (queue_.size() == 1) StartWrite(queue_.front().get());
  }
  void OnWriteDone(bool ok) override {
    std::lock_guard lock(mu_);
    queue_.pop_front();
    if (!ok) {
      queue_.clear();
      return;
    }
    if (!queue_.empty()) StartWrite(queue_.front().get());
  }
  void OnCancel() override {
    {
      std::lock_guard lock(mu_);
      if (!done_) Finish(grpc::Status::CANCELLED);
      done_ = true;
    }
    // As WatchStream::OnCancel: gRPC drops its reference to the call after
    // this returns, inside libgrpc++ where TSan cannot see it; OnDone, on
    // another thread, acquires this.
    TsanRelease(this);
  }
  void OnDone() override { TsanAcquire(this); }  // Kept until the server ends.

 private:
  std::mutex mu_;
  std::deque<std::shared_ptr<const bench::FanOutMessage>> queue_;
  bool done_ = false;
};

class EchoService final : public bench::Echo::CallbackService {
 public:
  explicit EchoService(GroupCommitJournal* journal) : journal_(journal) {}

  grpc::ServerUnaryReactor* DurableEcho(grpc::CallbackServerContext* context,
                                        const bench::EchoMessage* request,
                                        bench::EchoMessage* response) override {
    *response = *request;
    grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
    journal_->Append(
        JournalRecord{"echo", ++index_, 0, request->request_id(),
                      request->SerializeAsString(), ""},
        std::nullopt,
        [reactor](absl::Status status) {
          reactor->Finish(status.ok()
                              ? grpc::Status::OK
                              : grpc::Status(grpc::StatusCode::UNAVAILABLE,
                                             "journal failed"));
        },
        journal_->generation());
    return reactor;
  }

  grpc::ServerUnaryReactor* HandOffEcho(grpc::CallbackServerContext* context,
                                        const bench::EchoMessage* request,
                                        bench::EchoMessage* response) override {
    *response = *request;
    grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
    boost::asio::post(hand_off_,
                      [reactor] { reactor->Finish(grpc::Status::OK); });
    return reactor;
  }

  grpc::ServerUnaryReactor* Echo(grpc::CallbackServerContext* context,
                                 const bench::EchoMessage* request,
                                 bench::EchoMessage* response) override {
    *response = *request;
    grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
    reactor->Finish(grpc::Status::OK);
    return reactor;
  }

  grpc::ServerWriteReactor<bench::FanOutMessage>* Watch(
      grpc::CallbackServerContext*, const bench::FanOutMessage*) override {
    auto* watch = new EchoWatch;
    std::lock_guard lock(mu_);
    watches_[next_shard_++ % watches_.size()].push_back(watch);
    return watch;
  }

  // Fans out on a pool of two threads, a shard each, like qcalld's hub.
  grpc::ServerUnaryReactor* Publish(grpc::CallbackServerContext* context,
                                    const bench::FanOutMessage* request,
                                    bench::FanOutMessage*) override {
    auto message = std::make_shared<const bench::FanOutMessage>(*request);
    for (size_t shard = 0; shard < watches_.size(); ++shard) {
      boost::asio::post(pool_, [this, shard, message] {
        std::vector<EchoWatch*> watches;
        {
          std::lock_guard lock(mu_);
          watches = watches_[shard];
        }
        for (EchoWatch* watch : watches) watch->Deliver(message);
      });
    }
    grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
    reactor->Finish(grpc::Status::OK);
    return reactor;
  }

 private:
  std::mutex mu_;
  std::array<std::vector<EchoWatch*>, 4> watches_;
  size_t next_shard_ = 0;
  boost::asio::thread_pool pool_{2};
  boost::asio::thread_pool hand_off_{1};  // One thread, like the journal's.
  GroupCommitJournal* journal_;
  std::atomic<uint64_t> index_{0};
};

int ServeEcho(const std::string& port_file) {
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  // The journal file sits next to the port file, in qcall-load's work dir.
  absl::StatusOr<std::unique_ptr<SqliteJournalStore>> store =
      SqliteJournalStore::Open(port_file + ".sqlite", {.create = true});
  if (!store.ok()) {
    std::fprintf(stderr, "qcall-load: %s\n", store.status().ToString().c_str());
    return 1;
  }
  GroupCommitJournal journal(store->get());
  EchoService service(&journal);
  int port = 0;
  grpc::ServerBuilder builder;
  builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(),
                           &port);
  builder.RegisterService(&service);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  std::ofstream(port_file) << port << "\n";
  server->Wait();
  return 0;
}

// --serve-stalled-boards: boards that stop reading. Each watches on a
// connection of its own (as separate screens do), reads its snapshot, and
// then the whole process stops itself (SIGSTOP), as a frozen board would.
// Once continued (SIGCONT) every board reads what was sent to it and its
// end; the count of each final status goes to `result_file`.
class StalledBoard final : public grpc::ClientReadReactor<v1::WatchResponse> {
 public:
  StalledBoard(const std::string& target, std::atomic<int>* ready)
      : ready_(ready) {
    // A fixed receive window (no BDP probing, 64 KiB a stream), as a
    // frozen board would have had; with BDP the window a client reached
    // before it froze first lets the kernel's socket buffers fill.
    grpc::ChannelArguments args;
    args.SetInt("grpc.use_local_subchannel_pool", 1);
    args.SetInt(GRPC_ARG_HTTP2_BDP_PROBE, 0);
    stub_ = v1::Display::NewStub(grpc::CreateCustomChannel(
        target, grpc::InsecureChannelCredentials(), args));
    context_.AddMetadata("authorization", "Bearer load-display-token");
    request_.set_hall_id("load");
    stub_->async()->Watch(&context_, &request_, this);
    StartRead(&response_);
    StartCall();
  }
  void OnReadDone(bool ok) override {
    if (!ok) return;
    const uint64_t seq = response_.has_snapshot()
                             ? response_.snapshot().last_seq()
                             : response_.event().seq();
    if (last_seq_ != 0 && seq != last_seq_ + 1) ++gaps_;
    last_seq_ = seq;
    if (!subscribed_) {
      subscribed_ = true;
      ++*ready_;
      return;  // Reads no more until Resume.
    }
    StartRead(&response_);
  }
  void Resume() { StartRead(&response_); }
  void OnDone(const grpc::Status& status) override {
    std::lock_guard lock(mu_);
    status_ = status;
    cv_.notify_all();
  }
  // The final status, or nullopt if none came within `wait`.
  std::optional<grpc::Status> Wait(std::chrono::milliseconds wait) {
    std::unique_lock lock(mu_);
    cv_.wait_for(lock, wait, [&] { return status_.has_value(); });
    return status_;
  }
  void Cancel() { context_.TryCancel(); }
  int gaps() const { return gaps_; }

 private:
  std::unique_ptr<v1::Display::Stub> stub_;
  grpc::ClientContext context_;
  v1::WatchRequest request_;
  v1::WatchResponse response_;
  std::atomic<int>* ready_;
  bool subscribed_ = false;
  uint64_t last_seq_ = 0;
  int gaps_ = 0;
  std::mutex mu_;
  std::condition_variable cv_;
  std::optional<grpc::Status> status_;
};

int ServeStalledBoards(int count, const std::string& target,
                       const std::string& result_file) {
  std::atomic<int> ready{0};
  std::vector<std::unique_ptr<StalledBoard>> boards;
  for (int i = 0; i < count; ++i) {
    boards.push_back(std::make_unique<StalledBoard>(target, &ready));
  }
  for (int i = 0; i < 600 && ready.load() < count; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  std::ofstream(result_file + ".ready") << ready.load() << "\n";
  raise(SIGSTOP);  // Frozen until qcall-load sends SIGCONT.
  for (auto& board : boards) board->Resume();
  std::map<std::string, int> ends;
  int gaps = 0;
  const auto deadline = Clock::now() + std::chrono::seconds(10);
  for (auto& board : boards) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - Clock::now());
    std::optional<grpc::Status> status =
        board->Wait(std::max(left, std::chrono::milliseconds(1)));
    if (!status) {
      board->Cancel();
      ++ends["still open"];
      board->Wait(std::chrono::seconds(5));
      continue;
    }
    gaps += board->gaps();
    ++ends[absl::StrCat(status->error_code(), " ", status->error_message())];
  }
  std::ofstream out(result_file);
  for (const auto& [end, n] : ends) out << n << " ended with " << end << "\n";
  out << gaps << " gaps in sequence numbers\n";
  return 0;
}

std::string BenchConfig(int windows) {
  std::string config = R"(halls {
  hall_id: "load" name: "Load hall" time_zone: "Asia/Shanghai"
)";
  for (const char* code : {"A", "B", "C", "D"}) {
    absl::StrAppend(&config, "  services { code: \"S", code,
                    "\" ticket_prefix: \"", code,
                    "\" number_width: 9 prior_handling_seconds: 300 }\n");
  }
  for (int w = 1; w <= windows; ++w) {
    absl::StrAppend(&config, "  windows { number: ", w,
                    " serves { service_code: \"SA\" } serves { service_code: "
                    "\"SB\" } serves { service_code: \"SC\" } serves { "
                    "service_code: \"SD\" } }\n");
  }
  for (int d = 1; d <= 7; ++d) {
    absl::StrAppend(&config, "  hours { weekday: ", d,
                    " open_minute: 0 close_minute: 1440 }\n");
  }
  absl::StrAppend(&config, R"(}
tokens { token: "load-kiosk-token" role: ROLE_KIOSK halls: "load" name: "kiosk" issues_per_minute: 0 }
tokens { token: "load-counter-token" role: ROLE_COUNTER halls: "load" name: "counter" }
tokens { token: "load-display-token" role: ROLE_DISPLAY halls: "load" name: "display" }
)");
  return config;
}

// Issues tickets with unique request ids through `stub`; with `phones`, each
// with a customer's phone (kept apart, encrypted: the server needs
// --private-key-file).
ClosedLoop::Start IssueCalls(v1::Kiosk::Stub* stub, std::atomic<int64_t>* ids,
                             bool phones) {
  return [stub, ids, phones](std::function<void(bool)> done) {
    struct Call {
      grpc::ClientContext context;
      v1::IssueTicketRequest request;
      v1::CommandReply reply;
    };
    auto call = std::make_shared<Call>();
    Authorize(&call->context, "load-kiosk-token");
    call->request.set_hall_id("load");
    static const char* kCodes[] = {"SA", "SB", "SC", "SD"};
    const int64_t id = (*ids)++;
    call->request.set_service_code(kCodes[id % 4]);
    call->request.set_request_id(absl::StrCat("load-", id));
    if (phones) {
      call->request.set_phone(absl::StrCat(13800000000 + id % 100000000));
    }
    stub->async()->IssueTicket(
        &call->context, &call->request, &call->reply,
        [call, done](grpc::Status status) { done(status.ok()); });
  };
}

// A display stream that timestamps every TicketCalled on arrival.
// A display stream that times each call it sees; Stop cancels it and waits
// for its end. `Sent` returns when the call of a message was sent, or 0 for
// a message that is not a call.
template <typename Request, typename Response>
class TimedStream : public grpc::ClientReadReactor<Response> {
 public:
  using Sent = std::function<int64_t(const Response&)>;

  TimedStream(Latencies* latencies, Sent sent)
      : latencies_(latencies), sent_(std::move(sent)) {}

  void OnReadDone(bool ok) override {
    if (!ok) return;
    if (const int64_t sent = sent_(response_); sent > 0) {
      latencies_->Add(NowMicros() - sent);
      ++calls_seen_;
    }
    this->StartRead(&response_);
  }
  void OnDone(const grpc::Status&) override {
    std::lock_guard lock(mu_);
    done_ = true;
    cv_.notify_all();
  }
  void Stop() {
    context_.TryCancel();
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return done_; });
  }
  int64_t calls_seen() const { return calls_seen_; }

 protected:
  // Call from the derived constructor, after `context_` and `request_` are set.
  void Begin() {
    this->StartRead(&response_);
    this->StartCall();
  }

  grpc::ClientContext context_;
  Request request_;

 private:
  Response response_;
  Latencies* latencies_;
  const Sent sent_;
  std::atomic<int64_t> calls_seen_{0};
  std::mutex mu_;
  std::condition_variable cv_;
  bool done_ = false;
};

// A board on qcalld: a first call (not a recall) of a window was sent when
// that window's counter sent CallNext.
class BoardStream : public TimedStream<v1::WatchRequest, v1::WatchResponse> {
 public:
  BoardStream(v1::Display::Stub* stub,
              const std::vector<std::atomic<int64_t>>* sent,
              Latencies* latencies)
      : TimedStream(latencies, [sent](const v1::WatchResponse& r) -> int64_t {
          if (!r.has_event() || !r.event().has_ticket_called() ||
              r.event().ticket_called().recall() != 0) {
            return 0;
          }
          return (*sent)[r.event().ticket_called().window()].load();
        }) {
    Authorize(&context_, "load-display-token");
    request_.set_hall_id("load");
    stub->async()->Watch(&context_, &request_, this);
    Begin();
  }
};

// A clerk's steps at one window: call (true when a ticket was called),
// the customer's arrival, and the end of service.
struct ClerkSteps {
  std::function<bool()> call;
  std::function<void()> start;
  std::function<void()> complete;
};

// One window: call, start, complete, again, until told to stop. Like a
// clerk, each window keeps its own rhythm: the time between its calls is
// random (exponential, mean `interval`), the customer arrives a random part
// of it after the call and is done before the next. Counters in lockstep
// would make every window call in the same millisecond, which no hall does.
void RunClerk(int32_t window, std::chrono::milliseconds interval,
              const std::atomic<bool>* stop, std::atomic<int64_t>* calls,
              const ClerkSteps& steps) {
  std::mt19937_64 random(static_cast<uint64_t>(window));
  std::exponential_distribution<double> gap(1.0);
  std::uniform_real_distribution<double> part(0.1, 0.4);
  auto sleep = [&](double fraction) {
    const auto until =
        std::chrono::steady_clock::now() +
        std::chrono::microseconds(static_cast<int64_t>(
            fraction * 1000.0 * static_cast<double>(interval.count())));
    while (!stop->load() && std::chrono::steady_clock::now() < until) {
      std::this_thread::sleep_until(std::min(
          until,
          std::chrono::steady_clock::now() + std::chrono::milliseconds(100)));
    }
  };
  sleep(gap(random));
  while (!stop->load()) {
    if (!steps.call()) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
      continue;
    }
    ++*calls;
    const double until_next = gap(random);
    const double arrives = part(random) * until_next;
    const double done = (0.5 + part(random)) * until_next;
    sleep(arrives);
    steps.start();
    sleep(done - arrives);
    steps.complete();
    sleep(until_next - done);
  }
}

// The steps against qcalld: CallNext, StartServing, Complete.
ClerkSteps CounterSteps(v1::Counter::Stub* stub, int32_t window,
                        std::vector<std::atomic<int64_t>>* sent) {
  auto request = [window](grpc::ClientContext* context) {
    Authorize(context, "load-counter-token");
    v1::WindowRequest r;
    r.set_hall_id("load");
    r.set_window(window);
    return r;
  };
  {
    grpc::ClientContext context;
    Authorize(&context, "load-counter-token");
    v1::OpenWindowRequest open;
    open.set_hall_id("load");
    open.set_window(window);
    open.set_clerk_id(absl::StrCat("clerk-", window));
    v1::CommandReply reply;
    stub->OpenWindow(&context, open, &reply);
  }
  return {
      .call =
          [=] {
            grpc::ClientContext context;
            const v1::WindowRequest call = request(&context);
            v1::CommandReply reply;
            (*sent)[window] = NowMicros();
            return stub->CallNext(&context, call, &reply).ok() &&
                   reply.has_ticket();
          },
      .start =
          [=] {
            grpc::ClientContext context;
            const v1::WindowRequest start = request(&context);
            v1::CommandReply reply;
            stub->StartServing(&context, start, &reply);
          },
      .complete =
          [=] {
            grpc::ClientContext context;
            Authorize(&context, "load-counter-token");
            v1::CompleteRequest complete;
            complete.set_hall_id("load");
            complete.set_window(window);
            v1::CommandReply reply;
            stub->Complete(&context, complete, &reply);
          },
  };
}

// The same rhythm against the baseline: three publishes per call.
ClerkSteps PublishSteps(bench::Echo::Stub* stub, int32_t window) {
  auto publish = [stub, window](bool call) {
    bench::FanOutMessage message;
    message.set_window(window);
    message.set_call(call);
    message.set_padding(std::string(120, 'x'));
    message.set_sent_micros(NowMicros());
    grpc::ClientContext context;
    bench::FanOutMessage reply;
    return stub->Publish(&context, message, &reply).ok();
  };
  return {.call = [=] { return publish(true); },
          .start = [=] { publish(false); },
          .complete = [=] { publish(false); }};
}

// A board on the baseline: a call carries when it was published.
class BaselineBoard
    : public TimedStream<bench::FanOutMessage, bench::FanOutMessage> {
 public:
  BaselineBoard(bench::Echo::Stub* stub, Latencies* latencies)
      : TimedStream(latencies, [](const bench::FanOutMessage& m) -> int64_t {
          return m.call() ? m.sent_micros() : 0;
        }) {
    stub->async()->Watch(&context_, &request_, this);
    Begin();
  }
};

// Calls `method` (Echo or DurableEcho) with a request the size of an issue.
using EchoMethod = void (bench::Echo::Stub::async_interface::*)(
    grpc::ClientContext*, const bench::EchoMessage*, bench::EchoMessage*,
    std::function<void(grpc::Status)>);
ClosedLoop::Start EchoCalls(bench::Echo::Stub* stub, EchoMethod method) {
  return [stub, method](std::function<void(bool)> done) {
    struct Call {
      grpc::ClientContext context;
      bench::EchoMessage request, reply;
    };
    auto call = std::make_shared<Call>();
    call->context.AddMetadata("authorization", "Bearer load-kiosk-token");
    call->request.set_hall_id("load");
    call->request.set_service_code("SA");
    call->request.set_request_id("load-0000000");
    (stub->async()->*method)(&call->context, &call->request, &call->reply,
                             [call, done](grpc::Status s) { done(s.ok()); });
  };
}

struct DisplayFigures {
  Latencies latency;  // Call sent -> received, on every stream.
  int64_t calls = 0;
  int64_t complete_boards = 0;  // Streams that saw every call.
};

// `streams` boards watch while `windows` clerks work for `seconds`.
template <typename Board>
void RunDisplayPhase(
    int streams, int windows, double seconds,
    std::chrono::milliseconds interval,
    const std::function<std::unique_ptr<Board>(int, Latencies*)>& make_board,
    const std::function<ClerkSteps(int32_t)>& make_steps, DisplayFigures* out,
    const std::function<void()>& subscribed = [] {},
    const std::function<void()>& called = [] {}) {
  std::vector<std::unique_ptr<Board>> boards;
  for (int i = 0; i < streams; ++i) {
    boards.push_back(make_board(i, &out->latency));
  }
  std::this_thread::sleep_for(std::chrono::seconds(1));  // Streams settle.
  subscribed();
  std::atomic<bool> stop{false};
  std::atomic<int64_t> calls{0};
  std::vector<ClerkSteps> steps;
  for (int w = 1; w <= windows; ++w) steps.push_back(make_steps(w));
  std::vector<std::thread> clerks;
  for (int w = 1; w <= windows; ++w) {
    clerks.emplace_back(RunClerk, w, interval, &stop, &calls,
                        std::cref(steps[w - 1]));
  }
  std::this_thread::sleep_for(
      std::chrono::milliseconds(static_cast<int64_t>(seconds * 1000)));
  stop = true;
  for (std::thread& t : clerks) t.join();
  std::this_thread::sleep_for(std::chrono::seconds(2));  // Stragglers.
  called();
  out->calls = calls.load();
  for (auto& board : boards) {
    if (board->calls_seen() == out->calls) ++out->complete_boards;
    board->Stop();
  }
}

int Run(int argc, char** argv) {
  CLI::App app{"qcall-load: load and latency against a real qcalld"};
  std::string qcalld = (std::filesystem::canonical("/proc/self/exe")
                            .parent_path()
                            .parent_path() /
                        "dispatcher/qcalld")
                           .string();
  std::string serve_echo;
  double seconds = 10;
  int concurrency = 64;
  int streams = 1000;
  int windows = 12;
  bool baseline = true;
  int rounds = 1;
  int call_interval_ms = 1000;
  int board_connections = 4;
  int stalled_boards = 0;
  std::vector<std::string> qcalld_args;
  int serve_stalled = 0;
  std::string stalled_target, stalled_result;
  app.add_option("--qcalld", qcalld, "the qcalld binary")
      ->capture_default_str();
  app.add_option("--qcalld-arg", qcalld_args,
                 "a further argument for qcalld (repeat it for each)");
  app.add_option("--stalled-boards", stalled_boards,
                 "of the --streams boards, how many stop reading after "
                 "their snapshot (a process of their own, stopped with "
                 "SIGSTOP; a connection each)")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  app.add_option("--serve-stalled-boards", serve_stalled,
                 "(internal) run the stalled boards");
  app.add_option("--stalled-target", stalled_target, "(internal)");
  app.add_option("--stalled-result", stalled_result, "(internal)");
  bool phones = false;
  app.add_flag("--phones", phones,
               "every IssueTicket carries a customer's phone (give qcalld "
               "--private-key-file through --qcalld-arg)");
  app.add_option("--duration", seconds, "seconds per phase")
      ->capture_default_str();
  double unary_seconds = -1;
  app.add_option("--unary-duration", unary_seconds,
                 "seconds of each unary phase, if not --duration");
  app.add_option("--concurrency", concurrency, "calls in flight (kiosks)")
      ->capture_default_str();
  app.add_option("--streams", streams, "display streams watching")
      ->capture_default_str();
  app.add_option("--windows", windows, "counters calling")
      ->capture_default_str();
  app.add_option("--call-interval-ms", call_interval_ms,
                 "mean time between one counter's calls (exponential)")
      ->capture_default_str();
  app.add_option("--board-connections", board_connections,
                 "connections the display streams are spread over")
      ->capture_default_str();
  app.add_flag("--baseline,!--no-baseline", baseline,
               "measure the echo baselines too");
  app.add_option("--rounds", rounds,
                 "the four unary phases, this many times in turn")
      ->capture_default_str()
      ->check(CLI::Range(1, 100));
  app.add_option("--serve-echo", serve_echo, "(internal) run the echo server");
  CityLoadOptions city;
  app.add_option("--halls", city.halls,
                 "a city's load instead: this many halls, each with its own "
                 "boards, counters and kiosks (city_load.h)")
      ->check(CLI::PositiveNumber);
  app.add_option("--boards-per-hall", city.boards_per_hall,
                 "with --halls: boards watching each hall")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  app.add_option("--windows-per-hall", city.windows_per_hall,
                 "with --halls: windows each hall's calls rotate over")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  CLI11_PARSE(app, argc, argv);
  if (app.count("--halls") > 0) {
    city.qcalld = qcalld;
    city.qcalld_args = qcalld_args;
    city.seconds = seconds;
    city.call_interval_ms = call_interval_ms;
    city.board_connections = board_connections;
    return RunCityLoad(city);
  }
  if (!serve_echo.empty()) return ServeEcho(serve_echo);
  if (serve_stalled > 0) {
    return ServeStalledBoards(serve_stalled, stalled_target, stalled_result);
  }
  if (unary_seconds < 0) unary_seconds = seconds;
  if (stalled_boards > streams) {
    std::fprintf(stderr, "qcall-load: --stalled-boards is over --streams\n");
    return 2;
  }

  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  const std::filesystem::path work = std::filesystem::temp_directory_path() /
                                     absl::StrCat("qcall-load-", getpid());
  std::filesystem::create_directories(work);
  const std::string self =
      std::filesystem::canonical("/proc/self/exe").string();

  // Both servers run from the start, and each round runs the four unary
  // phases back to back: this shared VM's speed drifts by tens of percent
  // within a minute, so a ratio is only fair between phases run close
  // together, and medians over rounds are what we report.
  std::optional<Child> echo;
  std::unique_ptr<bench::Echo::Stub> echo_stub;
  if (baseline) {
    echo.emplace(std::vector<std::string>{self, "--serve-echo",
                                          (work / "echo.port").string()},
                 (work / "echo.port").string());
    echo_stub = bench::Echo::NewStub(Connect(echo->target()));
  }
  const std::unique_ptr<Child> qcalld_child =
      StartQcalld(qcalld, qcalld_args, work, BenchConfig(windows));
  Child& server = *qcalld_child;
  auto channel = Connect(server.target());
  auto kiosk = v1::Kiosk::NewStub(channel);
  std::atomic<int64_t> ids{0};

  struct Round {
    double echo_qps = 0, hand_off_echo_qps = 0, durable_echo_qps = 0,
           issue_qps = 0;
  };
  std::vector<Round> round_figures(rounds);
  Latencies echo_latency, hand_off_echo_latency, durable_echo_latency,
      issue_latency;
  int64_t issue_failures = 0;
  int64_t baseline_failures = 0;
  // Before each phase, a second for the servers' background work (qcalld's
  // snapshots, SQLite's checkpoints) to end, so it does not fall on the next
  // phase, which may be the other server's.
  const auto settle = [] {
    std::this_thread::sleep_for(std::chrono::seconds(1));
  };
  for (Round& round : round_figures) {
    if (baseline) {
      settle();
      round.echo_qps = ClosedLoop::Run(
          concurrency, unary_seconds,
          EchoCalls(echo_stub.get(), &bench::Echo::Stub::async_interface::Echo),
          &echo_latency, &baseline_failures);
      settle();
      round.hand_off_echo_qps = ClosedLoop::Run(
          concurrency, unary_seconds,
          EchoCalls(echo_stub.get(),
                    &bench::Echo::Stub::async_interface::HandOffEcho),
          &hand_off_echo_latency, &baseline_failures);
      settle();
      round.durable_echo_qps = ClosedLoop::Run(
          concurrency, unary_seconds,
          EchoCalls(echo_stub.get(),
                    &bench::Echo::Stub::async_interface::DurableEcho),
          &durable_echo_latency, &baseline_failures);
    }
    settle();
    round.issue_qps = ClosedLoop::Run(concurrency, unary_seconds,
                                      IssueCalls(kiosk.get(), &ids, phones),
                                      &issue_latency, &issue_failures);
  }
  const auto median_of = [&](double Round::*figure) {
    std::vector<double> figures;
    for (const Round& r : round_figures) figures.push_back(r.*figure);
    return Median(std::move(figures));
  };
  const double echo_qps = median_of(&Round::echo_qps);
  const double hand_off_echo_qps = median_of(&Round::hand_off_echo_qps);
  const double durable_echo_qps = median_of(&Round::durable_echo_qps);
  const double issue_qps = median_of(&Round::issue_qps);

  DisplayFigures fanout_baseline;
  if (baseline && streams > 0) {
    std::vector<std::unique_ptr<bench::Echo::Stub>> board_stubs;
    for (int i = 0; i < board_connections; ++i) {
      board_stubs.push_back(bench::Echo::NewStub(Connect(echo->target())));
    }
    auto publisher = bench::Echo::NewStub(Connect(echo->target()));
    RunDisplayPhase<BaselineBoard>(
        streams, windows, seconds, std::chrono::milliseconds(call_interval_ms),
        [&](int i, Latencies* latencies) {
          return std::make_unique<BaselineBoard>(
              board_stubs[i % board_stubs.size()].get(), latencies);
        },
        [&](int32_t window) { return PublishSteps(publisher.get(), window); },
        &fanout_baseline);
  }

  // Display phase: streams on a few channels, counters on their own; the
  // stalled boards in a process of their own, stopped once subscribed.
  std::vector<std::unique_ptr<v1::Display::Stub>> board_stubs;
  for (int i = 0; i < board_connections; ++i) {
    board_stubs.push_back(v1::Display::NewStub(Connect(server.target())));
  }
  std::vector<std::atomic<int64_t>> sent(windows + 1);
  auto counter = v1::Counter::NewStub(Connect(server.target()));
  DisplayFigures display;
  struct Memory {
    int64_t rest = 0, subscribed = 0, peak = 0, end = 0;
  } memory;
  std::this_thread::sleep_for(std::chrono::seconds(1));
  memory.rest = RssKib(server.pid());
  pid_t stalled_pid = -1;
  const std::string stalled_file = (work / "stalled.txt").string();
  if (stalled_boards > 0) {
    stalled_pid = fork();
    if (stalled_pid == 0) {
      load::ExecOrExit({self, "--serve-stalled-boards",
                        std::to_string(stalled_boards), "--stalled-target",
                        server.target(), "--stalled-result", stalled_file});
    }
    // Subscribed and stopped.
    int status = 0;
    waitpid(stalled_pid, &status, WUNTRACED);
    if (!WIFSTOPPED(status)) {
      std::fprintf(stderr, "qcall-load: the stalled boards did not start\n");
      return 1;
    }
  }
  std::optional<RssPeak> peak;
  RunDisplayPhase<BoardStream>(
      streams - stalled_boards, windows, seconds,
      std::chrono::milliseconds(call_interval_ms),
      [&](int i, Latencies* latencies) {
        return std::make_unique<BoardStream>(
            board_stubs[i % board_stubs.size()].get(), &sent, latencies);
      },
      [&](int32_t window) {
        return CounterSteps(counter.get(), window, &sent);
      },
      &display,
      [&] {
        memory.subscribed = RssKib(server.pid());
        peak.emplace(server.pid());
      },
      [&] {
        memory.peak = peak->Stop();
        memory.end = RssKib(server.pid());
      });
  std::string stalled_report;
  if (stalled_pid > 0) {
    kill(stalled_pid, SIGCONT);
    waitpid(stalled_pid, nullptr, 0);
    std::ifstream in(stalled_file);
    std::string line;
    while (std::getline(in, line)) {
      absl::StrAppend(&stalled_report, "  stalled boards: ", line, "\n");
    }
  }
  std::filesystem::remove_all(work);

  std::printf(
      "qcall-load: %.0f s per phase, %d round%s (per second: median over "
      "rounds; latencies: all rounds), %d calls in flight, %d streams, %d "
      "counters\n",
      seconds, rounds, rounds == 1 ? "" : "s", concurrency, streams, windows);
  std::printf("%-34s %12s %9s %9s %9s\n", "phase", "per second", "p50 ms",
              "p99 ms", "p99.9 ms");
  if (baseline) {
    std::printf("%-34s %12.0f %9.3f %9.3f %9.3f\n", "echo baseline (unary)",
                echo_qps, echo_latency.Percentile(50),
                echo_latency.Percentile(99), echo_latency.Percentile(99.9));
    std::printf("%-34s %12.0f %9.3f %9.3f %9.3f\n",
                "hand-off echo (reply off-thread)", hand_off_echo_qps,
                hand_off_echo_latency.Percentile(50),
                hand_off_echo_latency.Percentile(99),
                hand_off_echo_latency.Percentile(99.9));
    std::printf("%-34s %12.0f %9.3f %9.3f %9.3f\n",
                "durable echo baseline (journal)", durable_echo_qps,
                durable_echo_latency.Percentile(50),
                durable_echo_latency.Percentile(99),
                durable_echo_latency.Percentile(99.9));
  }
  std::printf("%-34s %12.0f %9.3f %9.3f %9.3f\n", "IssueTicket (durable)",
              issue_qps, issue_latency.Percentile(50),
              issue_latency.Percentile(99), issue_latency.Percentile(99.9));
  if (baseline && streams > 0) {
    std::printf("%-34s %12.0f %9.3f %9.3f %9.3f\n",
                "fan-out baseline (bare gRPC)",
                static_cast<double>(fanout_baseline.latency.count()) / seconds,
                fanout_baseline.latency.Percentile(50),
                fanout_baseline.latency.Percentile(99),
                fanout_baseline.latency.Percentile(99.9));
  }
  std::printf("%-34s %12.0f %9.3f %9.3f %9.3f\n",
              "CallNext -> event on a stream",
              static_cast<double>(display.latency.count()) / seconds,
              display.latency.Percentile(50), display.latency.Percentile(99),
              display.latency.Percentile(99.9));
  if (baseline) {
    std::vector<double> issue_ratios, hand_off_ratios, durable_ratios;
    for (size_t r = 0; r < round_figures.size(); ++r) {
      const Round& round = round_figures[r];
      issue_ratios.push_back(100.0 * round.issue_qps / round.echo_qps);
      hand_off_ratios.push_back(100.0 * round.hand_off_echo_qps /
                                round.echo_qps);
      durable_ratios.push_back(100.0 * round.durable_echo_qps / round.echo_qps);
      if (rounds > 1) {
        std::printf(
            "round %zu: echo %.0f, hand-off echo %.0f, durable echo %.0f, "
            "IssueTicket %.0f per second: %.0f %% of echo\n",
            r + 1, round.echo_qps, round.hand_off_echo_qps,
            round.durable_echo_qps, round.issue_qps, issue_ratios.back());
      }
    }
    std::printf(
        "IssueTicket / echo: %.0f %%; hand-off echo / echo: %.0f %%; durable "
        "echo / echo: %.0f %% (median over %d round%s)\n",
        Median(issue_ratios), Median(hand_off_ratios), Median(durable_ratios),
        rounds, rounds == 1 ? "" : "s");
  }
  std::printf(
      "calls made: %lld; streams that saw every call: %lld of %d; "
      "failed issues: %lld; failed baseline calls: %lld\n",
      static_cast<long long>(display.calls),
      static_cast<long long>(display.complete_boards), streams - stalled_boards,
      static_cast<long long>(issue_failures),
      static_cast<long long>(baseline_failures));
  if (streams > 0) {
    std::printf(
        "qcalld RSS: %.1f MB at rest, %.1f MB with %d boards subscribed "
        "(%d stalled), peak %.1f MB during the calls, %.1f MB after them\n",
        static_cast<double>(memory.rest) / 1024,
        static_cast<double>(memory.subscribed) / 1024, streams, stalled_boards,
        static_cast<double>(memory.peak) / 1024,
        static_cast<double>(memory.end) / 1024);
  }
  std::printf("%s", stalled_report.c_str());
  return issue_failures == 0 && baseline_failures == 0 &&
                 display.complete_boards == streams - stalled_boards
             ? 0
             : 1;
}

}  // namespace
}  // namespace qcall

int main(int argc, char** argv) { return qcall::Run(argc, argv); }
