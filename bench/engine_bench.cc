// Benchmarks of the hall engine on a large hall: 20 services x 5 customer
// categories, 200 windows each serving 3 services, 100,000 waiting tickets.
//
//   build/bench/engine_bench --benchmark_min_time=2
//
// Every figure includes building the command's events, as the server does.
#include <malloc.h>

#include <cstdint>
#include <string>

#include "absl/time/time.h"
#include "benchmark/benchmark.h"
#include "engine/hall.h"

namespace qcall {
namespace {

constexpr int kServices = 20;
constexpr int kWindows = 200;
constexpr int kBacklog = 100'000;

v1::HallConfig BigHallConfig() {
  v1::HallConfig c;
  c.set_hall_id("bench");
  c.set_name("Benchmark hall");
  c.set_time_zone("UTC");
  for (int s = 0; s < kServices; ++s) {
    v1::ServiceConfig* service = c.add_services();
    service->set_code("S" + std::to_string(s));
    service->set_name("Service " + std::to_string(s));
    // Prefixes A..T: one letter each, none the start of another.
    service->set_ticket_prefix(std::string(1, static_cast<char>('A' + s)));
    service->set_number_width(9);
    service->set_target_wait_seconds(900);
    service->set_prior_handling_seconds(300);
  }
  for (int w = 1; w <= kWindows; ++w) {
    v1::WindowConfig* window = c.add_windows();
    window->set_number(w);
    for (int k : {0, 7, 13}) {
      v1::ProfileEntry* entry = window->add_serves();
      entry->set_service_code("S" + std::to_string((w + k) % kServices));
      entry->set_weight(100 + 50 * (k % 3));
    }
  }
  for (int day = 1; day <= 7; ++day) {
    v1::OpeningHours* hours = c.add_hours();
    hours->set_weekday(day);
    hours->set_open_minute(0);
    hours->set_close_minute(1440);
  }
  return c;
}

// Issues tickets round-robin over services and a realistic category mix:
// 70 % normal, 10 % green channel, 10 % VIP, 5 % urgent, 5 % appointments.
class Driver {
 public:
  // Windows 1 to `open_windows` are open.
  explicit Driver(int open_windows = kWindows)
      : hall_(*Hall::Create(BigHallConfig(), absl::UTCTimeZone())) {
    for (int w = 1; w <= open_windows; ++w) {
      v1::Command open;
      open.mutable_open_window()->set_window(w);
      open.mutable_open_window()->set_clerk_id("clerk" + std::to_string(w));
      Must(open);
    }
    for (int s = 0; s < kServices; ++s) {
      issue_[s].mutable_issue_ticket()->set_service_code("S" +
                                                         std::to_string(s));
    }
    for (int w = 0; w < kWindows; ++w) {
      call_[w].mutable_call_next()->set_window(w + 1);
      start_[w].mutable_start_serving()->set_window(w + 1);
      complete_[w].mutable_complete()->set_window(w + 1);
      complete_[w].mutable_complete()->set_rating(5);
      no_show_[w].mutable_no_show()->set_window(w + 1);
    }
  }

  void Issue() {
    v1::Command& command = issue_[issued_ % kServices];
    v1::Command::IssueTicket* issue = command.mutable_issue_ticket();
    const int mix = static_cast<int>((issued_ / kServices) % 20);
    const v1::Category category = mix < 14   ? v1::CATEGORY_NORMAL
                                  : mix < 16 ? v1::CATEGORY_GREEN_CHANNEL
                                  : mix < 18 ? v1::CATEGORY_VIP
                                  : mix < 19 ? v1::CATEGORY_URGENT
                                             : v1::CATEGORY_APPOINTMENT;
    issue->set_category(category);
    issue->set_appointment_unix_seconds(
        category == v1::CATEGORY_APPOINTMENT ? absl::ToUnixSeconds(now_) : 0);
    ++issued_;
    Must(command);
  }
  bool CallNext(int w) {
    Must(call_[w]);
    return out_.result().has_ticket();
  }
  // Cancels the ticket the last command issued.
  void CancelIssued() {
    cancel_.mutable_cancel_ticket()->set_ticket(
        out_.result().ticket().number());
    Must(cancel_);
  }
  void Start(int w) { Must(start_[w]); }
  void Complete(int w) { Must(complete_[w]); }
  void NoShow(int w) { Must(no_show_[w]); }
  Hall& hall() { return hall_; }
  // As if clerks had followed the staffing advice today (twice, 30 s
  // after it): estimates then ask the staffing plan which window opens.
  void FollowAdvice() {
    v1::HallState state = hall_.Snapshot();
    state.mutable_advice_following()->set_opens_advised(2);
    state.mutable_advice_following()->set_opens_followed(2);
    state.mutable_advice_following()->set_follow_delay_total_ms(60'000);
    hall_ = *Hall::Restore(state, absl::UTCTimeZone());
  }
  int64_t events() const { return events_; }
  // A millisecond on, for a query: each one at a new time, as a
  // dashboard's refreshes are.
  absl::Time Later() {
    now_ += absl::Milliseconds(1);
    return now_;
  }

 private:
  void Must(const v1::Command& command) {
    now_ += absl::Milliseconds(1);
    if (!hall_.Apply(command, now_, &out_).ok()) std::abort();
    events_ += out_.events().size();
  }

  Hall hall_;
  Hall::Outcome out_;
  absl::Time now_ = absl::FromUnixSeconds(1'800'000'000);
  int64_t issued_ = 0;
  int64_t events_ = 0;
  v1::Command issue_[kServices];
  v1::Command cancel_;
  v1::Command call_[kWindows], start_[kWindows], complete_[kWindows],
      no_show_[kWindows];
};

void FillBacklog(Driver& driver) {
  for (int i = 0; i < kBacklog; ++i) driver.Issue();
}

void BM_IssueTicket(benchmark::State& state) {
  Driver driver;
  FillBacklog(driver);
  const int64_t events_before = driver.events();
  for (auto _ : state) driver.Issue();
  state.SetItemsProcessed(state.iterations());
  state.counters["events"] =
      benchmark::Counter(static_cast<double>(driver.events() - events_before),
                         benchmark::Counter::kIsRate);
}
BENCHMARK(BM_IssueTicket);

// Issuing in a hall that keeps up: every window busy, 60 people waiting
// over the 20 services, so each estimate replays the dispatch call by call
// (Hall::Projection, 48 calls on average) with walk-ins at the recent rate.
// Each ticket is cancelled again, in the timing, to keep the line as it is.
void IssueAndCancelShortLines(benchmark::State& state, int open_windows,
                              bool advice_followed) {
  Driver driver(open_windows);
  for (int i = 0; i < open_windows + 60; ++i) driver.Issue();
  for (int w = 0; w < open_windows; ++w) driver.CallNext(w);
  if (advice_followed) driver.FollowAdvice();
  for (auto _ : state) {
    driver.Issue();
    driver.CancelIssued();
  }
  state.SetItemsProcessed(state.iterations());
}

void BM_IssueAndCancelShortLines(benchmark::State& state) {
  IssueAndCancelShortLines(state, kWindows, false);
}
BENCHMARK(BM_IssueAndCancelShortLines);

// The same with 20 windows closed, where clerks follow the advice: each
// estimate also runs the staffing plan (Erlang C per group of services,
// 200 windows) to see which window the advice opens.
void BM_IssueAndCancelShortLinesAdviceFollowed(benchmark::State& state) {
  IssueAndCancelShortLines(state, kWindows - 20, true);
}
BENCHMARK(BM_IssueAndCancelShortLinesAdviceFollowed);

// A dashboard's view of the hall of BM_IssueAndCancelShortLinesAdviceFollowed:
// each service's estimate for its next walk-in, and the staffing plan. With
// `changes`, a ticket is issued and cancelled before each view (in the
// timing), so no view sees the hall the one before saw.
void ViewAdviceFollowed(benchmark::State& state, bool changes) {
  constexpr int kOpen = kWindows - 20;
  Driver driver(kOpen);
  for (int i = 0; i < kOpen + 60; ++i) driver.Issue();
  for (int w = 0; w < kOpen; ++w) driver.CallNext(w);
  driver.FollowAdvice();
  for (auto _ : state) {
    if (changes) {
      driver.Issue();
      driver.CancelIssued();
    }
    benchmark::DoNotOptimize(driver.hall().View(driver.Later()));
  }
  state.SetItemsProcessed(state.iterations());
}

void BM_ViewAdviceFollowed(benchmark::State& state) {
  ViewAdviceFollowed(state, false);
}
BENCHMARK(BM_ViewAdviceFollowed)->Unit(benchmark::kMicrosecond);

void BM_IssueCancelAndViewAdviceFollowed(benchmark::State& state) {
  ViewAdviceFollowed(state, true);
}
BENCHMARK(BM_IssueCancelAndViewAdviceFollowed)->Unit(benchmark::kMicrosecond);

// CallNext on each of the 200 windows in turn; every 200 calls the windows
// are freed (no-show) and the backlog topped up with the timer stopped.
void BM_CallNext(benchmark::State& state) {
  Driver driver;
  FillBacklog(driver);
  int w = 0;
  for (auto _ : state) {
    if (!driver.CallNext(w)) std::abort();
    if (++w == kWindows) {
      state.PauseTiming();
      for (w = 0; w < kWindows; ++w) {
        driver.NoShow(w);
        driver.Issue();
      }
      w = 0;
      state.ResumeTiming();
    }
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_CallNext);

// The whole life of one customer: issue, call next, start, complete, on a
// hall that keeps 100,000 tickets waiting.
void BM_FullCycle(benchmark::State& state) {
  Driver driver;
  FillBacklog(driver);
  int w = 0;
  const int64_t events_before = driver.events();
  for (auto _ : state) {
    driver.Issue();
    driver.CallNext(w);
    driver.Start(w);
    driver.Complete(w);
    if (++w == kWindows) w = 0;
  }
  state.SetItemsProcessed(state.iterations());
  state.counters["events"] =
      benchmark::Counter(static_cast<double>(driver.events() - events_before),
                         benchmark::Counter::kIsRate);
}
BENCHMARK(BM_FullCycle);

// Heap bytes the engine holds per waiting ticket, measured with glibc's
// allocator statistics around issuing the backlog.
void BM_BytesPerWaitingTicket(benchmark::State& state) {
  for (auto _ : state) {
    Driver driver;
    const size_t before = mallinfo2().uordblks;
    FillBacklog(driver);
    const size_t after = mallinfo2().uordblks;
    state.counters["bytes_per_waiting_ticket"] =
        static_cast<double>(after - before) / kBacklog;
    benchmark::DoNotOptimize(driver.hall().last_seq());
  }
}
BENCHMARK(BM_BytesPerWaitingTicket)
    ->Iterations(1)
    ->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace qcall

BENCHMARK_MAIN();
