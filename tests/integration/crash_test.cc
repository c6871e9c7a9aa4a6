// kill -9 under load, against a real qcalld: kiosks issue tickets and
// counters call, serve and complete them while the server is killed at random
// moments and restarted on the same data folder, again and again. Every
// acknowledged reply is recorded; at the end the hall must hold every
// acknowledged ticket, numbers per service must run 1..n without a gap or a
// duplicate, no retry may have issued twice, and no ticket may have been
// acknowledged as called twice (DESIGN.md invariants 1, 2 and 5).
#include <atomic>
#include <chrono>
#include <cstdio>
#include <functional>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/common/postgres_server.h"
#include "tests/integration/harness.h"
#include "tests/integration/qcalld_process.h"

namespace qcall::testing {
namespace {

using grpc::StatusCode;
using Clock = std::chrono::steady_clock;

struct Issued {
  std::string request_id;
  std::string service;
  std::string number;
};

struct Called {
  std::string request_id;
  int window = 0;
  std::string number;
};

struct ThreadLog {
  std::vector<Issued> issued;
  std::vector<Called> called;
  std::map<std::string, int> request_ids;  // Per service, distinct.
  std::vector<std::string> unexpected;
  int retries = 0;
};

constexpr int kAttempts = 5;
const char* const kServices[] = {"BILL", "SIM", "PLAN"};
const std::map<std::string, std::string> kPrefix = {
    {"BILL", "A"}, {"SIM", "B"}, {"PLAN", "C"}};

void Pause(int ms) {
  std::this_thread::sleep_for(std::chrono::milliseconds(ms));
}

void KioskLoop(int kiosk, ServerTarget* target, const std::atomic<bool>* stop,
               ThreadLog* log) {
  std::unique_ptr<Api> api;
  uint64_t generation = 0;
  for (int i = 0; !*stop; ++i) {
    const std::string service = kServices[(kiosk + i) % 3];
    const std::string request_id =
        "kiosk-" + std::to_string(kiosk) + ":" + std::to_string(i);
    ++log->request_ids[service];
    for (int attempt = 0; attempt < kAttempts && !*stop; ++attempt) {
      if (attempt > 0) ++log->retries;
      auto reply = target->Current(&api, &generation)
                       .Issue(service, v1::CATEGORY_NORMAL, request_id);
      if (reply.ok()) {
        log->issued.push_back({request_id, service, reply->ticket().number()});
        break;
      }
      if (!Unacknowledged(reply.status)) {
        log->unexpected.push_back("IssueTicket " + request_id + ": " +
                                  Describe(reply.status));
        break;
      }
      Pause(10);
    }
    Pause(4);  // Enough load; far from the 9999 daily cap of a service.
  }
}

// Runs `call` until it is acknowledged or refused; returns its last result.
template <typename Call>
Api::Reply Retried(ServerTarget* target, std::unique_ptr<Api>* api,
                   uint64_t* generation, const std::atomic<bool>* stop,
                   ThreadLog* log, Call call) {
  Api::Reply reply;
  for (int attempt = 0; attempt < kAttempts && !*stop; ++attempt) {
    if (attempt > 0) ++log->retries;
    reply = call(target->Current(api, generation));
    if (!Unacknowledged(reply.status)) return reply;
    Pause(10);
  }
  return reply;
}

void CounterLoop(int window, ServerTarget* target,
                 const std::atomic<bool>* stop, ThreadLog* log) {
  std::unique_ptr<Api> api;
  uint64_t generation = 0;
  auto expect_done = [&](const Api::Reply& reply, const char* what) {
    // FAILED_PRECONDITION: the window was already past this step (a reply
    // lost in a crash, the command durable).
    if (!reply.ok() && !Unacknowledged(reply.status) &&
        reply.status.error_code() != StatusCode::FAILED_PRECONDITION) {
      log->unexpected.push_back(std::string(what) + ": " +
                                Describe(reply.status));
    }
  };
  for (int i = 0; !*stop; ++i) {
    const std::string request_id =
        "window-" + std::to_string(window) + ":" + std::to_string(i);
    Api::Reply called =
        Retried(target, &api, &generation, stop, log,
                [&](Api& a) { return a.CallNext(window, request_id); });
    if (called.ok() && !called->has_ticket()) {
      Pause(5);  // Nobody waits.
      continue;
    }
    if (called.ok()) {
      log->called.push_back({request_id, window, called->ticket().number()});
    } else {
      expect_done(called, "CallNext");
    }
    expect_done(Retried(target, &api, &generation, stop, log,
                        [&](Api& a) { return a.StartServing(window); }),
                "StartServing");
    expect_done(Retried(target, &api, &generation, stop, log,
                        [&](Api& a) { return a.Complete(window); }),
                "Complete");
  }
}

int NumberOf(const std::string& ticket) { return std::stoi(ticket.substr(1)); }

std::string TicketName(const std::string& prefix, int number) {
  std::string digits = std::to_string(number);
  return prefix + std::string(4 - digits.size(), '0') + digits;
}

// What a test does to the server or its data tier while the load runs, on
// the thread that forks the server (see QcalldProcess); `probe` logs what
// its own requests were told, checked with the load's.
using Disruption = std::function<void(QcalldProcess& server,
                                      ServerTarget& target, ThreadLog* probe)>;

// Runs the load on `options`' server while `disrupt` runs, then checks what
// the clients were told against what the server holds; `starts` gets how
// often the server started.
void UnderLoad(QcalldOptions options, const Disruption& disrupt, int* starts) {
  QcalldProcess server(std::move(options));
  ASSERT_TRUE(server.Start());
  {
    Api setup(server.NewChannel());
    ASSERT_OK(setup.Open(1, "clerk-1"));
    ASSERT_OK(setup.Open(2, "clerk-2"));
  }
  ServerTarget target;
  target.Set(server.NewChannel());

  constexpr int kKiosks = 3;
  std::atomic<bool> stop{false};
  std::vector<ThreadLog> logs(kKiosks + 3);
  std::vector<std::thread> threads;
  for (int k = 0; k < kKiosks; ++k) {
    threads.emplace_back(KioskLoop, k, &target, &stop, &logs[k]);
  }
  for (int w : {1, 2}) {
    threads.emplace_back(CounterLoop, w, &target, &stop,
                         &logs[kKiosks + w - 1]);
  }
  const auto start = Clock::now();
  disrupt(server, target, &logs.back());
  Pause(300);
  stop = true;
  for (std::thread& t : threads) t.join();
  if (::testing::Test::HasFatalFailure()) return;

  // Merge what the clients were told.
  std::vector<Issued> issued;
  std::vector<Called> called;
  std::map<std::string, int> request_ids;
  int retries = 0;
  for (const ThreadLog& log : logs) {
    issued.insert(issued.end(), log.issued.begin(), log.issued.end());
    called.insert(called.end(), log.called.begin(), log.called.end());
    for (const auto& [service, n] : log.request_ids) request_ids[service] += n;
    for (const std::string& u : log.unexpected) ADD_FAILURE() << u;
    retries += log.retries;
  }

  Api api(server.NewChannel());
  auto hall = api.GetHall();
  ASSERT_OK(hall);
  std::map<std::string, int> issued_today;
  for (const char* service : kServices) {
    issued_today[service] = FindService(*hall, service)->issued_today();
  }
  std::printf(
      "load of %.1f s: %zu tickets and %zu calls acknowledged, %d "
      "retries; issued today BILL %d, SIM %d, PLAN %d\n",
      std::chrono::duration<double>(Clock::now() - start).count(),
      issued.size(), called.size(), retries, issued_today["BILL"],
      issued_today["SIM"], issued_today["PLAN"]);
  ASSERT_GT(issued.size(), 100u) << "too little load to mean anything";
  ASSERT_GT(called.size(), 20u) << "too little load to mean anything";

  // 1. Every acknowledged ticket exists, with the number it was given, and
  //    no number went to two requests.
  std::map<std::string, std::string> request_of_ticket;
  for (const Issued& t : issued) {
    ASSERT_EQ(t.number.substr(0, 1), kPrefix.at(t.service)) << t.number;
    const int n = NumberOf(t.number);
    EXPECT_GE(n, 1);
    EXPECT_LE(n, issued_today[t.service])
        << t.number << " was acknowledged (" << t.request_id
        << ") but the hall issued only " << issued_today[t.service];
    auto [it, inserted] = request_of_ticket.emplace(t.number, t.request_id);
    EXPECT_TRUE(inserted) << t.number << " acknowledged to " << it->second
                          << " and to " << t.request_id;
  }

  // 2. Numbers per service are exactly 1..n: every one of them exists.
  //    And no more numbers than requests: a retry never issued twice.
  for (const char* service : kServices) {
    const int n = issued_today[service];
    EXPECT_LE(n, request_ids[service])
        << service << ": " << n << " numbers for " << request_ids[service]
        << " distinct request ids; a retry issued a second ticket";
    for (int number = 1; number <= n; ++number) {
      const std::string name = TicketName(kPrefix.at(service), number);
      auto ticket = api.GetTicket(name);
      ASSERT_OK(ticket) << name;
      EXPECT_EQ(ticket->ticket().number(), name);
      EXPECT_EQ(ticket->ticket().service_code(), service);
    }
    EXPECT_CODE(api.GetTicket(TicketName(kPrefix.at(service), n + 1)),
                StatusCode::NOT_FOUND);
  }

  // 3. No ticket was acknowledged as called twice (to two windows, or twice
  //    to one), and each is where its call put it.
  std::map<std::string, const Called*> call_of_ticket;
  for (const Called& c : called) {
    auto [it, inserted] = call_of_ticket.emplace(c.number, &c);
    EXPECT_TRUE(inserted) << c.number << " called at window "
                          << it->second->window << " ("
                          << it->second->request_id << ") and at window "
                          << c.window << " (" << c.request_id << ")";
    auto ticket = api.GetTicket(c.number);
    ASSERT_OK(ticket) << c.number;
    EXPECT_EQ(ticket->ticket().window(), c.window) << c.number;
    const v1::TicketState state = ticket->ticket().state();
    EXPECT_TRUE(state == v1::TICKET_STATE_CALLED ||
                state == v1::TICKET_STATE_SERVING ||
                state == v1::TICKET_STATE_COMPLETED)
        << c.number << " is " << v1::TicketState_Name(state);
  }

  // 4. One more kill -9 with the hall at rest: the journal replays to the
  //    very same hall.
  auto at_rest = api.GetHall();
  ASSERT_OK(at_rest);
  ASSERT_TRUE(server.Restart());
  Api after(server.NewChannel());
  auto replayed = after.GetHall();
  ASSERT_OK(replayed);
  EXPECT_TRUE(SameView(*at_rest, *replayed));
  *starts = server.starts();
}

// The load on `options`' server, killed with SIGKILL and restarted
// `kills_planned` times (at least two fewer within `budget`).
void Kill9UnderLoad(QcalldOptions options, int kills_planned,
                    std::chrono::seconds budget, int* starts) {
#if defined(__SANITIZE_THREAD__) || defined(__SANITIZE_ADDRESS__)
  // A sanitized qcalld restarts about twice as slowly.
  const auto kBudget = 2 * budget;
#else
  const auto kBudget = budget;
#endif
  const int kKills = kills_planned;
  UnderLoad(
      std::move(options),
      [&](QcalldProcess& server, ServerTarget& target, ThreadLog*) {
        const unsigned seed = static_cast<unsigned>(
            std::chrono::system_clock::now().time_since_epoch().count());
        std::printf("crash test seed %u\n", seed);
        std::mt19937 random(seed);
        // Kill and restart at random moments.
        const auto start = Clock::now();
        int kills = 0;
        while (kills < kKills && Clock::now() - start < kBudget) {
          Pause(std::uniform_int_distribution<int>(20, 900)(random));
          server.Kill(SIGKILL);
          ++kills;
          if (::testing::AssertionResult r = server.Restart(); !r) {
            FAIL() << "restart " << kills << ": " << r.message();
          }
          target.Set(server.NewChannel());
        }
        std::printf("%d kills\n", kills);
        EXPECT_GE(kills, kKills - 2)
            << "fewer kills than planned within the time budget";
      },
      starts);
}

TEST(QcalldCrashTest, Kill9UnderLoadLosesNothingAcknowledged) {
  int starts = 0;
  Kill9UnderLoad({.config_text = TestConfig(), .snapshot_every = 200}, 22,
                 std::chrono::seconds(40), &starts);
}

// The same on PostgreSQL (qcalld --store postgresql://...): each start
// takes the hall again (a new epoch) once the killed server's session is
// gone, and replays it from the database.
TEST(QcalldCrashTest, Kill9OnPostgresLosesNothingAcknowledged) {
  absl::StatusOr<std::string> url = NewPostgresDatabase();
  if (absl::IsNotFound(url.status())) GTEST_SKIP() << url.status().message();
  ASSERT_TRUE(url.ok()) << url.status();
  int starts = 0;
  Kill9UnderLoad({.config_text = TestConfig(),
                  .snapshot_every = 200,
                  .extra_args = {"--store", *url},
                  .private_key = false},
                 10, std::chrono::seconds(25), &starts);
  if (HasFatalFailure()) return;
  // Every start took the halls at a new epoch.
  absl::StatusOr<std::string> epoch =
      PostgresServer::Query(*url, "SELECT min(epoch) FROM hall_owner");
  ASSERT_TRUE(epoch.ok()) << epoch.status();
  EXPECT_EQ(*epoch, std::to_string(starts));
}

}  // namespace
}  // namespace qcall::testing

namespace qcall::testing {
namespace {

// The data tier loses a machine: qcalld runs on a primary with a
// synchronous standby through a multi-host URL; under load the primary is
// killed and the standby promoted. qcalld is not restarted: it refuses
// writes while no server takes them, finds the promoted standby, takes its
// hall again, reads it back, and serves; nothing acknowledged is lost.
TEST(QcalldCrashTest, PrimaryKilledAndStandbyPromotedLosesNothingAcknowledged) {
  absl::StatusOr<ReplicatedPostgres> pg = StartReplicated();
  if (absl::IsNotFound(pg.status())) GTEST_SKIP() << pg.status().message();
  ASSERT_TRUE(pg.ok()) << pg.status();
  absl::StatusOr<std::string> url = pg->NewDatabase();
  ASSERT_TRUE(url.ok()) << url.status();
  int starts = 0;
  UnderLoad(
      {.config_text = TestConfig(),
       .snapshot_every = 200,
       .extra_args = {"--store", *url},
       .private_key = false},
      [&](QcalldProcess& server, ServerTarget&, ThreadLog* probe) {
        Pause(1500);  // Load on the primary.
        const auto killed = Clock::now();
        pg->primary->Kill();
        Api api(server.NewChannel());
        // Until a standby is promoted, writes are refused, saying why.
        ++probe->request_ids["SIM"];
        auto refused = api.Issue("SIM", v1::CATEGORY_NORMAL, "probe:outage");
        if (refused.ok()) {
          probe->issued.push_back(
              {"probe:outage", "SIM", refused->ticket().number()});
          ADD_FAILURE() << "a write was acknowledged with no primary";
        } else {
          EXPECT_EQ(refused.status.error_code(), grpc::StatusCode::UNAVAILABLE)
              << Describe(refused.status);
          EXPECT_THAT(refused.status.error_message(),
                      ::testing::HasSubstr("cannot be reached"));
        }
        Pause(300);  // The operator's (or a tool's) reaction.
        const auto promoting = Clock::now();
        ASSERT_TRUE(pg->standby->Promote().ok());
        const auto promoted = Clock::now();
        // The hall serves again: a ticket, retried with its request id.
        ++probe->request_ids["BILL"];
        const std::string id = "probe:after-promotion";
        while (true) {
          auto reply = api.Issue("BILL", v1::CATEGORY_NORMAL, id);
          if (reply.ok()) {
            probe->issued.push_back({id, "BILL", reply->ticket().number()});
            break;
          }
          ASSERT_TRUE(Unacknowledged(reply.status)) << Describe(reply.status);
          ASSERT_LT(Clock::now() - promoted, std::chrono::seconds(30))
              << "not serving 30 s after the promotion: "
              << Describe(reply.status);
          Pause(10);
        }
        const auto serving = Clock::now();
        const auto seconds = [](auto d) {
          return std::chrono::duration<double>(d).count();
        };
        std::printf(
            "primary killed, %.2f s later pg_ctl promote, which took %.2f "
            "s; a write acknowledged %.2f s after it returned (%.2f s after "
            "the promotion began, %.2f s without writes)\n",
            seconds(promoting - killed), seconds(promoted - promoting),
            seconds(serving - promoted), seconds(serving - promoting),
            seconds(serving - killed));
        EXPECT_LT(serving - promoting, std::chrono::seconds(5));
        Pause(1500);  // Load on the promoted standby.
        // A commit was cut off by the kill: the hall was read back.
        EXPECT_THAT(server.Log(),
                    ::testing::HasSubstr("read back from the journal's store"));
      },
      &starts);
  if (HasFatalFailure()) return;
  // One start, and one more for the check at rest: the failover needed no
  // restart.
  EXPECT_EQ(starts, 2);
  // (The multi-host URL finds the promoted standby.)
  absl::StatusOr<std::string> epoch =
      PostgresServer::Query(*url, "SELECT min(epoch) FROM hall_owner");
  ASSERT_TRUE(epoch.ok()) << epoch.status();
  // Taken at the start, again after the promotion, and at the restart.
  EXPECT_EQ(*epoch, "3");
}

}  // namespace
}  // namespace qcall::testing
