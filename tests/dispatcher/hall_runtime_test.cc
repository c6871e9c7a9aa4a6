// HallRuntime's timers on simulated time: ticks, lost heartbeats, the day
// start and the load samples happen as the clock advances, with no sleeping.
// The hall runs on a real strand and journals into a real SQLite store.
#include "dispatcher/hall_runtime.h"

#include <boost/asio/thread_pool.hpp>
#include <chrono>
#include <filesystem>
#include <future>
#include <optional>
#include <thread>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "dispatcher/clock.h"
#include "dispatcher/group_commit_journal.h"
#include "dispatcher/recovery.h"
#include "dispatcher/sqlite_journal_store.h"
#include "gmock/gmock.h"
#include "google/protobuf/text_format.h"
#include "gtest/gtest.h"

namespace qcall {
namespace {

using ::testing::HasSubstr;

constexpr char kConfig[] = R"pb(
  hall_id: "sim-hall"
  name: "Simulated hall"
  time_zone: "Asia/Shanghai"
  language: LANGUAGE_EN
  services { code: "BILL" name: "Bills" ticket_prefix: "A" }
  services {
    code: "CMPL"
    name: "Complaints"
    ticket_prefix: "T"
    complaint: true
  }
  windows {
    number: 3
    name: "Window 3"
    serves { service_code: "BILL" }
  }
  windows {
    number: 4
    name: "Window 4"
    serves { service_code: "BILL" }
    serves { service_code: "CMPL" }
  }
  policy { no_show_timeout_seconds: 60 }
)pb";

absl::Time ShanghaiTime(int hour, int minute, int second) {
  absl::TimeZone shanghai;
  EXPECT_TRUE(absl::LoadTimeZone("Asia/Shanghai", &shanghai));
  return absl::FromCivil(absl::CivilSecond(2026, 12, 4, hour, minute, second),
                         shanghai);
}

// The SQLite store, whose commits a test can hold up or fail.
class ControlledStore : public JournalStore {
 public:
  explicit ControlledStore(std::unique_ptr<JournalStore> store)
      : store_(std::move(store)) {}
  absl::Status Commit(absl::Span<const JournalRecord> records,
                      absl::Span<const SnapshotRecord> snapshots) override {
    absl::MutexLock lock(&mu_);
    mu_.Await(absl::Condition(
        +[](bool* held) { return !*held; }, &held_));
    if (failing_) return absl::UnavailableError("disk full");
    if (lose_next_) {
      // The connection to a database server lost around the commit: it
      // landed or not, and the node cannot tell.
      lose_next_ = false;
      lost_ = true;
      if (lands_) store_->Commit(records, snapshots).IgnoreError();
      return absl::UnavailableError("connection lost");
    }
    return store_->Commit(records, snapshots);
  }
  bool CanResume() override {
    absl::MutexLock lock(&mu_);
    return lost_;
  }
  absl::Status Resume() override {
    absl::MutexLock lock(&mu_);
    if (away_) return absl::UnavailableError("no server takes writes");
    lost_ = false;
    return absl::OkStatus();
  }
  absl::StatusOr<std::optional<SnapshotRecord>> LatestSnapshot(
      absl::string_view hall) override {
    return store_->LatestSnapshot(hall);
  }
  absl::StatusOr<uint64_t> LastIndex(absl::string_view hall) override {
    return store_->LastIndex(hall);
  }
  absl::StatusOr<std::vector<std::string>> HallIds() override {
    return store_->HallIds();
  }
  absl::Status ReadJournal(
      absl::string_view hall, uint64_t after, uint64_t through,
      const std::function<absl::Status(const JournalRecord&)>& visit) override {
    return store_->ReadJournal(hall, after, through, visit);
  }
  absl::Status ReadSnapshots(
      absl::string_view hall,
      const std::function<absl::Status(const SnapshotRecord&)>& visit)
      override {
    return store_->ReadSnapshots(hall, visit);
  }
  const JournalChain& chain() const override { return store_->chain(); }

  void Hold(bool held) {
    absl::MutexLock lock(&mu_);
    held_ = held;
  }
  void Fail() {
    absl::MutexLock lock(&mu_);
    failing_ = true;
  }
  // The next commit loses its connection (having written, when `lands`),
  // and the store stays away until Back().
  void LoseNextCommit(bool lands) {
    absl::MutexLock lock(&mu_);
    lose_next_ = true;
    lands_ = lands;
    away_ = true;
  }
  void Back() {
    absl::MutexLock lock(&mu_);
    away_ = false;
  }

 private:
  std::unique_ptr<JournalStore> store_;
  absl::Mutex mu_;
  bool held_ ABSL_GUARDED_BY(mu_) = false;
  bool failing_ ABSL_GUARDED_BY(mu_) = false;
  bool lose_next_ ABSL_GUARDED_BY(mu_) = false;
  bool lands_ ABSL_GUARDED_BY(mu_) = false;
  bool lost_ ABSL_GUARDED_BY(mu_) = false;
  bool away_ ABSL_GUARDED_BY(mu_) = false;
};

class HallRuntimeTest : public ::testing::Test {
 protected:
  void SetUp() override { Begin(Start()); }

  // Overridden by tests that start at another time of day.
  virtual absl::Time Start() const { return ShanghaiTime(10, 0, 0); }

  void Begin(absl::Time start) {
    clock_ = std::make_unique<SimulatedClock>(start);
    dir_ = std::filesystem::temp_directory_path() /
           ("qcall-runtime-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    auto store = SqliteJournalStore::Open((dir_ / "journal.sqlite").string(),
                                          {.create = true});
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = std::make_unique<ControlledStore>(*std::move(store));
    journal_ = std::make_unique<GroupCommitJournal>(store_.get());
    v1::HallConfig config;
    ASSERT_TRUE(
        google::protobuf::TextFormat::ParseFromString(kConfig, &config));
    RuntimeOptions options;
    options.clock = clock_.get();
    options.heartbeat_timeout = absl::Seconds(30);
    v1::Command configure;
    *configure.mutable_configure()->mutable_config() = config;
    configure.mutable_configure()->set_supervisor_id("test");
    absl::Notification configured;
    absl::Status configure_status;
    auto runtime = NewHall(
        configure, "",
        [&](absl::Status status, const v1::CommandReply&) {
          configure_status = status;
          configured.Notify();
        },
        journal_.get(), &pool_, options);
    ASSERT_TRUE(runtime.ok()) << runtime.status();
    runtime_ = *std::move(runtime);
    configured.WaitForNotification();
    ASSERT_TRUE(configure_status.ok()) << configure_status;
    runtime_->Start();
    // Start arms the tick on the strand; a read behind it sees it armed.
    Read([](const Hall&, absl::Time) { return true; });
  }

  void TearDown() override {
    runtime_->Stop();
    // After the stop (and, where the journal failed, answered so).
    (void)ReadDurable([](const Hall&, absl::Time) { return true; });
    journal_.reset();  // Runs the callbacks of what it still held.
    pool_.join();      // And the fan-out they posted.
    runtime_.reset();
    other_halls_.clear();
    store_.reset();
    clock_.reset();
    std::filesystem::remove_all(dir_);
  }

  // Submits and waits until the command is durable.
  absl::StatusOr<v1::CommandReply> Run(v1::Command command,
                                       std::string request_id = "") {
    absl::Notification done;
    absl::Status status;
    v1::CommandReply reply;
    runtime_->Submit(std::move(command), std::move(request_id),
                     [&](absl::Status s, const v1::CommandReply& r) {
                       status = s;
                       reply = r;
                       done.Notify();
                     });
    done.WaitForNotification();
    if (!status.ok()) return status;
    return reply;
  }

  // What `read` saw, once it is durable; or the journal's failure.
  template <typename F,
            typename Result = std::invoke_result_t<F, const Hall&, absl::Time>>
  absl::StatusOr<Result> ReadDurable(F read) {
    std::promise<absl::StatusOr<Result>> result;
    runtime_->Read([&](const Hall& hall, absl::Time now) {
      auto seen = std::make_shared<Result>(read(hall, now));
      return [&result, seen](absl::Status durable) {
        if (durable.ok()) {
          result.set_value(*seen);
        } else {
          result.set_value(durable);
        }
      };
    });
    return result.get_future().get();
  }

  template <typename F,
            typename Result = std::invoke_result_t<F, const Hall&, absl::Time>>
  Result Read(F read) {
    absl::StatusOr<Result> result = ReadDurable(read);
    EXPECT_TRUE(result.ok()) << result.status();
    return result.ok() ? *std::move(result) : Result();
  }

  v1::HallView View() {
    return Read(
        [](const Hall& hall, absl::Time now) { return hall.View(now); });
  }

  static const v1::HallView::WindowView& Window(const v1::HallView& view,
                                                int32_t number) {
    for (const auto& w : view.windows()) {
      if (w.number() == number) return w;
    }
    ADD_FAILURE() << "no window " << number;
    return view.windows(0);
  }

  static v1::Command Issue() {
    v1::Command c;
    c.mutable_issue_ticket()->set_service_code("BILL");
    return c;
  }
  static v1::Command Open(int32_t window) {
    v1::Command c;
    c.mutable_open_window()->set_window(window);
    c.mutable_open_window()->set_clerk_id(absl::StrCat("clerk-", window));
    return c;
  }
  static v1::Command CallNext(int32_t window) {
    v1::Command c;
    c.mutable_call_next()->set_window(window);
    return c;
  }

  std::pair<std::string, std::string> OutcomeUnknown(bool lands);

  boost::asio::thread_pool pool_{2};
  std::unique_ptr<SimulatedClock> clock_;
  std::filesystem::path dir_;
  std::unique_ptr<ControlledStore> store_;
  std::unique_ptr<GroupCommitJournal> journal_;
  std::unique_ptr<HallRuntime> runtime_;
  std::vector<std::unique_ptr<HallRuntime>> other_halls_;
};

// ConfigureHall publishes a new hall as soon as NewHall returns; a command
// that reaches it at once must not become its first record, or the next
// start finds a journal that does not begin with the hall's configuration.
TEST_F(HallRuntimeTest, ANewHallsConfigureIsItsFirstRecordWhateverFollows) {
  v1::Command configure;
  ASSERT_TRUE(google::protobuf::TextFormat::ParseFromString(
      kConfig, configure.mutable_configure()->mutable_config()));
  configure.mutable_configure()->mutable_config()->set_hall_id("second");
  auto second = NewHall(
      configure, "", [](absl::Status, const v1::CommandReply&) {},
      journal_.get(), &pool_, RuntimeOptions{.clock = clock_.get()});
  ASSERT_TRUE(second.ok()) << second.status();
  absl::Notification issued;
  (*second)->Submit(Issue(), "",
                    [&](absl::Status status, const v1::CommandReply&) {
                      EXPECT_TRUE(status.ok()) << status;
                      issued.Notify();
                    });
  // The journal keeps the strand's order: what came before is durable too.
  issued.WaitForNotification();

  std::vector<std::string> kinds;
  ASSERT_TRUE(
      store_
          ->ReadJournal("second", 0, UINT64_MAX,
                        [&](const JournalRecord& record) {
                          v1::Command command;
                          EXPECT_TRUE(command.ParseFromString(record.command));
                          kinds.push_back(command.has_configure() ? "configure"
                                                                  : "other");
                          return absl::OkStatus();
                        })
          .ok());
  EXPECT_EQ(kinds, (std::vector<std::string>{"configure", "other"}));
  other_halls_.push_back(*std::move(second));  // Freed after the pool.
}

TEST_F(HallRuntimeTest, TimeStandsStillUntilTheClockMoves) {
  EXPECT_EQ(Read([](const Hall&, absl::Time now) { return now; }),
            ShanghaiTime(10, 0, 0));
  EXPECT_EQ(clock_->Advance(absl::Seconds(5)), 5) << "a tick a second";
  EXPECT_EQ(Read([](const Hall&, absl::Time now) { return now; }),
            ShanghaiTime(10, 0, 5));
}

TEST_F(HallRuntimeTest, TicksMarkACalledCustomerNoShowAfterTheTimeout) {
  ASSERT_TRUE(Run(Issue()).ok());
  ASSERT_TRUE(Run(Open(3)).ok());
  auto called = Run(CallNext(3));
  ASSERT_TRUE(called.ok()) << called.status();
  ASSERT_EQ(called->ticket().number(), "A001");
  auto state = [&] {
    return Read([](const Hall& hall, absl::Time now) {
      return hall.TicketStatus("A001", now)->ticket().state();
    });
  };
  clock_->Advance(absl::Seconds(59));
  EXPECT_EQ(state(), v1::TICKET_STATE_CALLED) << "59 s of a 60 s timeout";
  clock_->Advance(absl::Seconds(2));
  EXPECT_EQ(state(), v1::TICKET_STATE_NO_SHOW);
}

TEST_F(HallRuntimeTest, ASilentCounterLosesItsWindowAfterTheHeartbeatTimeout) {
  ASSERT_TRUE(Run(Open(3)).ok());
  ASSERT_TRUE(Run(Open(4)).ok());
  runtime_->Heartbeat(3);
  runtime_->Heartbeat(4);
  for (int i = 0; i < 4; ++i) {
    clock_->Advance(absl::Seconds(10));
    runtime_->Heartbeat(4);  // Window 4 keeps beating; window 3 is silent.
  }
  const v1::HallView view = View();
  EXPECT_EQ(Window(view, 3).state(), v1::WINDOW_STATE_CLOSED);
  EXPECT_EQ(Window(view, 4).state(), v1::WINDOW_STATE_IDLE);
  ASSERT_EQ(view.alarms_size(), 1);
  EXPECT_EQ(view.alarms(0).kind(), v1::HallEvent::Alarm::KIND_WINDOW_LOST);
  EXPECT_EQ(view.alarms(0).window(), 3);
}

// A clerk who signs out of the screen and leaves the window open is not
// declared lost when the beats stop.
TEST_F(HallRuntimeTest, ASignedOutCounterKeepsItsWindowOpen) {
  ASSERT_TRUE(Run(Open(3)).ok());
  runtime_->Heartbeat(3);
  clock_->Advance(absl::Seconds(10));
  runtime_->ForgetHeartbeat(3);
  for (int i = 0; i < 6; ++i) clock_->Advance(absl::Seconds(10));
  const v1::HallView view = View();
  EXPECT_EQ(Window(view, 3).state(), v1::WINDOW_STATE_IDLE);
  EXPECT_EQ(view.alarms_size(), 0);
}

// A complaint case's 24 hours on the runtime's clock: the ticks raise "due
// soon" two hours before the deadline and "overdue" at it, across the day's
// rollover at midnight, and the resolution clears them.
TEST_F(HallRuntimeTest, ComplaintAlarmsComeFromTheTicksOnTheClock) {
  v1::Command issue;
  issue.mutable_issue_ticket()->set_service_code("CMPL");
  ASSERT_TRUE(Run(issue).ok());
  ASSERT_TRUE(Run(Open(4)).ok());
  ASSERT_TRUE(Run(CallNext(4)).ok());
  v1::Command serve;
  serve.mutable_start_serving()->set_window(4);
  ASSERT_TRUE(Run(serve).ok());
  const int32_t opened_on = View().business_day();
  auto alarms = [&] {
    std::vector<v1::HallEvent::Alarm::Kind> kinds;
    const v1::HallView view = View();
    for (const auto& a : view.alarms()) {
      if (!a.ticket().empty()) kinds.push_back(a.kind());
    }
    return kinds;
  };
  ASSERT_EQ(View().complaints_size(), 1);
  EXPECT_EQ(View().complaints(0).owner_clerk_id(), "clerk-4");
  clock_->Advance(absl::Hours(21) + absl::Minutes(59));
  EXPECT_TRUE(alarms().empty());
  EXPECT_GT(View().business_day(), opened_on) << "past midnight";
  clock_->Advance(absl::Minutes(1) + absl::Seconds(1));
  EXPECT_THAT(alarms(), ::testing::ElementsAre(
                            v1::HallEvent::Alarm::KIND_COMPLAINT_DUE_SOON));
  clock_->Advance(absl::Hours(2));
  EXPECT_THAT(alarms(), ::testing::ElementsAre(
                            v1::HallEvent::Alarm::KIND_COMPLAINT_OVERDUE));
  v1::Command resolve;
  resolve.mutable_resolve_complaint()->set_ticket("T001");
  resolve.mutable_resolve_complaint()->set_business_day(opened_on);
  resolve.mutable_resolve_complaint()->set_resolution("apologised, refunded");
  resolve.mutable_resolve_complaint()->set_supervisor_id("duty");
  ASSERT_TRUE(Run(resolve).ok());
  EXPECT_TRUE(alarms().empty());
  EXPECT_TRUE(View().complaints().empty());
}

class HallRuntimeAtMidnightTest : public HallRuntimeTest {
  absl::Time Start() const override { return ShanghaiTime(23, 59, 50); }
};

TEST_F(HallRuntimeAtMidnightTest, TheFirstTickAfterMidnightStartsTheNewDay) {
  ASSERT_TRUE(Run(Issue()).ok());
  const int32_t today = View().business_day();
  clock_->Advance(absl::Seconds(9));
  EXPECT_EQ(View().business_day(), today);
  clock_->Advance(absl::Seconds(2));
  EXPECT_EQ(View().business_day(), today + 1) << "without any command";
  auto next = Run(Issue());
  ASSERT_TRUE(next.ok());
  EXPECT_EQ(next->ticket().number(), "A001") << "numbers restart each day";
}

TEST_F(HallRuntimeTest, AReadIsAnsweredOnlyOnceWhatItSawIsDurable) {
  store_->Hold(true);
  absl::Notification issued;
  runtime_->Submit(Issue(), "",
                   [&](absl::Status status, const v1::CommandReply&) {
                     EXPECT_TRUE(status.ok()) << status;
                     issued.Notify();
                   });
  auto read = std::async(std::launch::async, [&] {
    return ReadDurable([](const Hall& hall, absl::Time now) {
      return hall.TicketStatus("A001", now).ok();
    });
  });
  EXPECT_EQ(read.wait_for(std::chrono::milliseconds(100)),
            std::future_status::timeout)
      << "A001 is applied but not on disk: nobody may see it yet";
  store_->Hold(false);
  issued.WaitForNotification();
  const absl::StatusOr<bool> seen = read.get();
  ASSERT_TRUE(seen.ok()) << seen.status();
  EXPECT_TRUE(*seen);
}

TEST_F(HallRuntimeTest, AfterAFailedWriteTheHallIsWhatItsJournalHolds) {
  ASSERT_TRUE(Run(Issue()).ok());  // A001, durable.
  store_->Fail();
  const auto failed = Run(Issue());  // A002 applied, never durable.
  EXPECT_EQ(failed.status().code(), absl::StatusCode::kUnavailable);
  // The failed write rolls the hall back to its journal, on the strand,
  // before the refusal is answered; reads see the durable state.
  const auto a002 = ReadDurable([](const Hall& hall, absl::Time now) {
    return hall.TicketStatus("A002", now).status().code();
  });
  ASSERT_TRUE(a002.ok()) << a002.status();
  EXPECT_EQ(*a002, absl::StatusCode::kNotFound)
      << "A002 was never acknowledged, so no read may show it";
  const auto view = ReadDurable(
      [](const Hall& hall, absl::Time now) { return hall.View(now); });
  ASSERT_TRUE(view.ok()) << view.status();
  int waiting = 0;
  for (const auto& s : view->services()) waiting += s.waiting();
  EXPECT_EQ(waiting, 1) << "A001 only";
  EXPECT_EQ(Run(Issue()).status().code(), absl::StatusCode::kUnavailable)
      << "and nothing more is accepted";
}

// The store lost its connection during the commit of A002 (its request
// r-2) and stays away a while; `lands` says whether that commit was written.
// Returns the ticket each of r-2 (retried) and r-3 (new, first after the
// store is back) is given.
std::pair<std::string, std::string> HallRuntimeTest::OutcomeUnknown(
    bool lands) {
  EXPECT_TRUE(Run(Issue(), "r-1").ok());  // A001, durable.
  store_->LoseNextCommit(lands);
  const auto lost = Run(Issue(), "r-2");
  EXPECT_EQ(lost.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(std::string(lost.status().message()),
              HasSubstr("same request id"));
  // While the store is away: writes refused, the retry too; and a read of
  // the hall that holds A002 in memory is refused rather than shown.
  EXPECT_EQ(Run(Issue(), "r-3").status().code(),
            absl::StatusCode::kUnavailable);
  EXPECT_EQ(Run(Issue(), "r-2").status().code(),
            absl::StatusCode::kUnavailable);
  const auto read = ReadDurable([](const Hall& hall, absl::Time now) {
    return hall.TicketStatus("A002", now).ok();
  });
  EXPECT_EQ(read.status().code(), absl::StatusCode::kUnavailable);
  store_->Back();
  for (int i = 0; i < 500 && !journal_->health().ok(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_TRUE(journal_->health().ok()) << journal_->health();
  const auto third = Run(Issue(), "r-3");
  const auto second = Run(Issue(), "r-2");
  EXPECT_TRUE(third.ok()) << third.status();
  EXPECT_TRUE(second.ok()) << second.status();
  const v1::HallView view = View();
  int waiting = 0;
  for (const auto& s : view.services()) waiting += s.waiting();
  EXPECT_EQ(waiting, 3) << "A001, A002 and A003, each once";
  return {second.ok() ? second->ticket().number() : "",
          third.ok() ? third->ticket().number() : ""};
}

TEST_F(HallRuntimeTest, ACommitThatLandedUnknownIsReadBackAndItsRetryAnswered) {
  const auto [second, third] = OutcomeUnknown(/*lands=*/true);
  EXPECT_EQ(second, "A002") << "the retry gets the first reply";
  EXPECT_EQ(third, "A003");
}

TEST_F(HallRuntimeTest, ACommitThatNeverLandedIsAppliedAfreshOnItsRetry) {
  const auto [second, third] = OutcomeUnknown(/*lands=*/false);
  EXPECT_EQ(third, "A002") << "the hall went back to what the store holds";
  EXPECT_EQ(second, "A003");
}

}  // namespace
}  // namespace qcall
