// Three qcalld nodes on one PostgreSQL database, halls spread over them,
// kiosks issuing and counters calling in every hall through clients that
// follow the owner (qcall-owner-grpc) as qcall does. A node killed with
// kill -9: every hall it served answers IssueTicket at a new owner within
// 5 s, nothing acknowledged is lost, numbers stay contiguous, no ticket is
// called twice; restarted, it takes its share back. A node paused (SIGSTOP)
// past its lease: its halls move, and when it wakes what it was sent is not
// acknowledged, nothing is written twice, and it rejoins.
//
// QCALL_CLUSTER_KILLS=20 runs the kill test with 20 kills and prints the
// failover times (kill -> IssueTicket answered at the new owner).
#include <sys/types.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gtest/gtest.h"
#include "tests/common/postgres_server.h"
#include "tests/integration/harness.h"
#include "tests/integration/qcalld_process.h"

namespace qcall::testing {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

constexpr int kNodes = 3;
constexpr int kHalls = 9;

std::string HallId(int i) { return absl::StrCat("hall-", i); }
std::string NodeName(int i) { return absl::StrCat("node-", i); }

std::string ClusterConfig() {
  std::ostringstream c;
  for (int i = 0; i < kHalls; ++i) {
    c << "halls { hall_id: \"" << HallId(i) << "\" name: \"Hall " << i
      << "\" time_zone: \"" << NoonTimeZone()
      << "\" services { code: \"BILL\" name: \"Bill\" ticket_prefix: \"A\" "
         "number_width: 4 } windows { number: 1 serves { service_code: "
         "\"BILL\" } } }\n";
  }
  c << "tokens { token: \"" << kKioskToken
    << "\" role: ROLE_KIOSK halls: [\"*\"] name: \"kiosks\" "
       "issues_per_minute: 0 }\n"
    << "tokens { token: \"" << kCounterToken
    << "\" role: ROLE_COUNTER halls: [\"*\"] name: \"counters\" }\n"
    << "tokens { token: \"" << kSupervisorToken
    << "\" role: ROLE_SUPERVISOR halls: [\"*\"] name: \"duty manager\" }\n";
  return c.str();
}

void Pause(int ms) { std::this_thread::sleep_for(milliseconds(ms)); }

// The nodes, their current addresses, and a channel per address.
class Cluster {
 public:
  explicit Cluster(std::string url) : url_(std::move(url)) {}

  ::testing::AssertionResult Start() {
    for (int i = 0; i < kNodes; ++i) {
      nodes_.push_back(std::make_unique<QcalldProcess>(QcalldOptions{
          .config_text = ClusterConfig(),
          .extra_args = {"--store", url_, "--node-name", NodeName(i)},
          .init_store = i == 0,
          .private_key = false}));
      if (auto started = nodes_.back()->Start(); !started) return started;
      Publish(i);
    }
    return ::testing::AssertionSuccess();
  }
  // Called from the test's thread (QcalldProcess forks there).
  ::testing::AssertionResult Restart(int i) {
    auto restarted = nodes_[i]->Restart();
    if (restarted) Publish(i);
    return restarted;
  }
  QcalldProcess& node(int i) { return *nodes_[i]; }
  const std::string& url() const { return url_; }

  std::string Address(int i) {
    std::lock_guard lock(mu_);
    return addresses_[i];
  }
  std::shared_ptr<grpc::Channel> ChannelTo(const std::string& address) {
    std::lock_guard lock(mu_);
    std::shared_ptr<grpc::Channel>& channel = channels_[address];
    if (channel == nullptr) {
      channel =
          grpc::CreateChannel(address, grpc::InsecureChannelCredentials());
    }
    return channel;
  }
  // Where a hall was last served, as clients remember it.
  std::string Hint(const std::string& hall) {
    std::lock_guard lock(mu_);
    auto it = hints_.find(hall);
    return it == hints_.end() ? addresses_[0] : it->second;
  }
  void SetHint(const std::string& hall, const std::string& address) {
    std::lock_guard lock(mu_);
    hints_[hall] = address;
  }

  // The halls whose owner row names node `i`.
  std::vector<std::string> HallsOf(int i) {
    absl::StatusOr<std::string> halls = PostgresServer::Query(
        url_, absl::StrCat("SELECT string_agg(hall_id, ',') FROM hall_owner "
                           "WHERE owner = '",
                           NodeName(i), "'"));
    if (!halls.ok() || halls->empty()) return {};
    return absl::StrSplit(*halls, ',');
  }
  // Waits until every node owns some halls (the placement settled).
  ::testing::AssertionResult WaitSpread(milliseconds within) {
    const auto until = Clock::now() + within;
    std::string owners;
    while (Clock::now() < until) {
      absl::StatusOr<std::string> count = PostgresServer::Query(
          url_, "SELECT count(DISTINCT owner) FROM hall_owner");
      owners = count.ok() ? *count : count.status().ToString();
      if (owners == std::to_string(kNodes)) {
        Pause(600);  // A step for every node to finish its moves.
        return ::testing::AssertionSuccess();
      }
      Pause(100);
    }
    return ::testing::AssertionFailure() << "halls not spread over " << kNodes
                                         << " nodes: " << owners << " owners";
  }

 private:
  void Publish(int i) {
    std::lock_guard lock(mu_);
    addresses_.resize(std::max<size_t>(addresses_.size(), i + 1));
    addresses_[i] = nodes_[i]->address();
  }

  const std::string url_;
  std::vector<std::unique_ptr<QcalldProcess>> nodes_;
  std::mutex mu_;
  std::vector<std::string> addresses_;
  std::map<std::string, std::shared_ptr<grpc::Channel>> channels_;
  std::map<std::string, std::string> hints_;
};

// One call, sent where the hall was last served: a node that does not serve
// it answers UNAVAILABLE with the owner in trailing metadata, which is asked
// next; a node that does not answer, or a hall that is moving, sends the
// call to the next node. Retried (same request id) until acknowledged,
// refused, or `until`. `answered_by` gets the address that answered. A
// node at `avoid` (paused: it would hold each call for its whole deadline)
// is not tried.
struct Followed {
  grpc::Status status;
  std::string answered_by;
};
template <typename Call>
Followed Follow(Cluster* cluster, const std::string& hall,
                const std::string& token, Clock::time_point until, Call call,
                const std::string& start_at = "",
                const std::string& avoid = "") {
  std::string at = start_at.empty() ? cluster->Hint(hall) : start_at;
  int next = 0;
  Followed out;
  while (true) {
    grpc::ClientContext context;
    Prepare(&context, token, milliseconds(2000));
    out.status = call(cluster->ChannelTo(at), &context);
    out.answered_by = at;
    if (!Unacknowledged(out.status) || Clock::now() >= until) {
      if (out.status.ok()) cluster->SetHint(hall, at);
      return out;
    }
    const auto& trailers = context.GetServerTrailingMetadata();
    auto owner = trailers.find("qcall-owner-grpc");
    if (out.status.error_code() == grpc::StatusCode::UNAVAILABLE &&
        owner != trailers.end()) {
      at = std::string(owner->second.data(), owner->second.size());
      continue;
    }
    do {
      at = cluster->Address(next++ % kNodes);
    } while (at == avoid);
    Pause(20);
  }
}

grpc::Status Issue(const std::shared_ptr<grpc::Channel>& channel,
                   grpc::ClientContext* context, const std::string& hall,
                   const std::string& request_id, v1::CommandReply* reply) {
  v1::IssueTicketRequest request;
  request.set_hall_id(hall);
  request.set_service_code("BILL");
  request.set_request_id(request_id);
  return v1::Kiosk::Stub(channel).IssueTicket(context, request, reply);
}

struct HallLog {
  std::mutex mu;
  std::map<std::string, std::string> issued;  // request id -> number
  int request_ids = 0;
  std::vector<std::string> called;
  std::vector<std::string> unexpected;

  void Issued(const std::string& request_id, const std::string& number) {
    std::lock_guard lock(mu);
    issued[request_id] = number;
  }
};

void KioskLoop(Cluster* cluster, const std::string& hall,
               const std::atomic<bool>* stop, HallLog* log) {
  for (int i = 0; !*stop; ++i) {
    const std::string request_id = absl::StrCat("kiosk-", hall, ":", i);
    {
      std::lock_guard lock(log->mu);
      ++log->request_ids;
    }
    // A request is retried until acknowledged, even past the stop: one
    // given up on could be durable without its ticket recorded here.
    v1::CommandReply reply;
    const Followed done = Follow(
        cluster, hall, kKioskToken, Clock::now() + std::chrono::seconds(30),
        [&](auto channel, grpc::ClientContext* context) {
          return Issue(channel, context, hall, request_id, &reply);
        });
    if (done.status.ok()) {
      log->Issued(request_id, reply.ticket().number());
    } else {
      std::lock_guard lock(log->mu);
      log->unexpected.push_back("IssueTicket " + request_id + ": " +
                                Describe(done.status));
    }
    Pause(40);
  }
}

// A counter's call at window 1 of `hall`, at its owner.
template <typename Request>
Followed WindowCall(Cluster* cluster, const std::string& hall,
                    const std::string& request_id,
                    grpc::Status (v1::Counter::Stub::*method)(
                        grpc::ClientContext*, const Request&,
                        v1::CommandReply*),
                    v1::CommandReply* reply) {
  return Follow(cluster, hall, kCounterToken,
                Clock::now() + std::chrono::seconds(30),
                [&](auto channel, grpc::ClientContext* context) {
                  Request request;
                  request.set_hall_id(hall);
                  request.set_window(1);
                  request.set_request_id(request_id);
                  v1::Counter::Stub stub(channel);
                  return (stub.*method)(context, request, reply);
                });
}

void CounterLoop(Cluster* cluster, const std::string& hall,
                 const std::atomic<bool>* stop, HallLog* log) {
  auto window_call = [&](const std::string& request_id, auto method,
                         v1::CommandReply* reply) {
    return WindowCall(cluster, hall, request_id, method, reply);
  };
  for (int i = 0; !*stop; ++i) {
    const std::string id = absl::StrCat("window-", hall, ":", i);
    v1::CommandReply called;
    const Followed call =
        window_call(id, &v1::Counter::Stub::CallNext, &called);
    if (call.status.ok() && called.has_ticket()) {
      std::lock_guard lock(log->mu);
      log->called.push_back(called.ticket().number());
    }
    if (!call.status.ok() || !called.has_ticket()) {
      Pause(40);
      continue;
    }
    v1::CommandReply ignored;
    window_call(id + ":serve", &v1::Counter::Stub::StartServing, &ignored);
    window_call(id + ":done", &v1::Counter::Stub::Complete, &ignored);
    Pause(40);
  }
}

// Kiosks and counters on every hall, from their own threads.
class Load {
 public:
  explicit Load(Cluster* cluster) : cluster_(cluster), logs_(kHalls) {
    for (int h = 0; h < kHalls; ++h) {
      threads_.emplace_back(KioskLoop, cluster, HallId(h), &stop_, &logs_[h]);
      threads_.emplace_back(CounterLoop, cluster, HallId(h), &stop_, &logs_[h]);
    }
  }
  ~Load() { Stop(); }
  void Stop() {
    stop_ = true;
    for (std::thread& t : threads_) t.join();
    threads_.clear();
  }
  HallLog& log(int hall) { return logs_[hall]; }

  // What every client was told against what the halls and their journals
  // hold.
  void Verify() {
    Stop();
    size_t issued = 0;
    size_t called = 0;
    for (int h = 0; h < kHalls; ++h) {
      const std::string hall = HallId(h);
      HallLog& log = logs_[h];
      for (const std::string& u : log.unexpected) ADD_FAILURE() << u;
      v1::HallView view;
      const Followed got =
          Follow(cluster_, hall, kSupervisorToken,
                 Clock::now() + std::chrono::seconds(10),
                 [&](auto channel, grpc::ClientContext* context) {
                   v1::GetHallRequest request;
                   request.set_hall_id(hall);
                   return v1::Supervisor::Stub(channel).GetHall(context,
                                                                request, &view);
                 });
      ASSERT_TRUE(got.status.ok()) << hall << ": " << Describe(got.status);
      const int n = view.services(0).issued_today();
      // Every acknowledged ticket is there, and no number went to two
      // requests; a retry never issued twice.
      std::map<std::string, std::string> request_of;
      for (const auto& [request_id, number] : log.issued) {
        EXPECT_LE(std::stoi(number.substr(1)), n)
            << hall << ": " << number << " acknowledged to " << request_id
            << " but the hall issued " << n;
        auto [it, inserted] = request_of.emplace(number, request_id);
        EXPECT_TRUE(inserted) << hall << ": " << number << " acknowledged to "
                              << it->second << " and " << request_id;
      }
      EXPECT_LE(n, log.request_ids + 20)  // + probes.
          << hall << ": more numbers than requests";
      std::set<std::string> calls;
      for (const std::string& number : log.called) {
        EXPECT_TRUE(calls.insert(number).second)
            << hall << ": " << number << " acknowledged as called twice";
      }
      // The journal: one record per index, none missing, none twice.
      absl::StatusOr<std::string> gaps = PostgresServer::Query(
          cluster_->url(),
          absl::StrCat("SELECT max(idx) - count(*) FROM journal WHERE "
                       "hall_id = '",
                       hall, "'"));
      ASSERT_TRUE(gaps.ok()) << gaps.status();
      EXPECT_EQ(*gaps, "0") << hall << ": the journal has gaps";
      issued += log.issued.size();
      called += log.called.size();
    }
    std::printf("%zu tickets and %zu calls acknowledged over %d halls\n",
                issued, called, kHalls);
    EXPECT_GT(issued, 100u) << "too little load to mean anything";
    EXPECT_GT(called, 30u) << "too little load to mean anything";
  }

 private:
  Cluster* cluster_;
  std::atomic<bool> stop_{false};
  std::vector<HallLog> logs_;
  std::vector<std::thread> threads_;
};

// Opens window 1 of every hall at its owner.
void OpenWindows(Cluster* cluster) {
  for (int h = 0; h < kHalls; ++h) {
    v1::CommandReply reply;
    const Followed opened =
        Follow(cluster, HallId(h), kCounterToken,
               Clock::now() + std::chrono::seconds(10),
               [&](auto channel, grpc::ClientContext* context) {
                 v1::OpenWindowRequest request;
                 request.set_hall_id(HallId(h));
                 request.set_window(1);
                 request.set_clerk_id("clerk-1");
                 return v1::Counter::Stub(channel).OpenWindow(context, request,
                                                              &reply);
               });
    ASSERT_TRUE(opened.status.ok()) << Describe(opened.status);
  }
}

// Until every hall in `halls` answers IssueTicket at a node other than
// `gone`: the time each took from `since`.
std::vector<double> TimeToServe(Cluster* cluster, Load* load,
                                const std::vector<std::string>& halls,
                                const std::string& gone, int round,
                                Clock::time_point since) {
  std::vector<double> seconds(halls.size());
  std::vector<std::thread> probes;
  for (size_t i = 0; i < halls.size(); ++i) {
    probes.emplace_back([&, i] {
      const std::string& hall = halls[i];
      const std::string request_id = absl::StrCat("probe-", round, "-", hall);
      // Asked first at a node still up, as a load balancer would.
      const std::string start = cluster->Address(0) == gone
                                    ? cluster->Address(1)
                                    : cluster->Address(0);
      v1::CommandReply reply;
      const Followed done = Follow(
          cluster, hall, kKioskToken, since + std::chrono::seconds(20),
          [&](auto channel, grpc::ClientContext* context) {
            return Issue(channel, context, hall, request_id, &reply);
          },
          start, gone);
      seconds[i] = std::chrono::duration<double>(Clock::now() - since).count();
      EXPECT_TRUE(done.status.ok()) << hall << ": " << Describe(done.status);
      EXPECT_NE(done.answered_by, gone) << hall;
      if (done.status.ok()) {
        const int h = std::stoi(hall.substr(hall.find('-') + 1));
        load->log(h).Issued(request_id, reply.ticket().number());
        std::lock_guard lock(load->log(h).mu);
        ++load->log(h).request_ids;
      }
    });
  }
  for (std::thread& t : probes) t.join();
  return seconds;
}

int KillsToRun() {
  const char* kills = std::getenv("QCALL_CLUSTER_KILLS");
  return kills != nullptr ? std::max(1, std::atoi(kills)) : 2;
}

double Median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  return values.empty() ? 0 : values[values.size() / 2];
}

// Three nodes on a new database, the halls spread, window 1 of each open,
// the load running for a second.
class QcalldClusterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<std::string> url = NewPostgresDatabase();
    if (absl::IsNotFound(url.status())) GTEST_SKIP() << url.status().message();
    ASSERT_TRUE(url.ok()) << url.status();
    auto cluster = std::make_unique<Cluster>(*url);
    ASSERT_TRUE(cluster->Start());
    ASSERT_TRUE(cluster->WaitSpread(std::chrono::seconds(15)));
    OpenWindows(cluster.get());
    if (HasFatalFailure()) return;
    cluster_ = std::move(cluster);
    load_ = std::make_unique<Load>(cluster_.get());
    Pause(1000);
  }
  void TearDown() override {
    load_.reset();  // Its clients stop before the nodes do.
    cluster_.reset();
  }

  std::unique_ptr<Cluster> cluster_;
  std::unique_ptr<Load> load_;
};

TEST_F(QcalldClusterTest, Kill9ANodeItsHallsServeAgainWithin5sAndItRejoins) {
  if (cluster_ == nullptr) return;  // Skipped, or failed in SetUp.
  Cluster& cluster = *cluster_;
  Load& load = *load_;

  const int kills = KillsToRun();
  std::vector<double> slowest;  // Per kill: its slowest hall.
  std::vector<double> all;
  for (int k = 0; k < kills; ++k) {
    const int victim = k % kNodes;
    const std::vector<std::string> halls = cluster.HallsOf(victim);
    ASSERT_FALSE(halls.empty()) << NodeName(victim) << " serves no hall";
    const std::string gone = cluster.Address(victim);
    const auto killed = Clock::now();
    cluster.node(victim).Kill(SIGKILL);
    const std::vector<double> seconds =
        TimeToServe(&cluster, &load, halls, gone, k, killed);
    for (double s : seconds) {
      EXPECT_LT(s, 5.0) << "a hall of the killed node served again after " << s
                        << " s";
    }
    all.insert(all.end(), seconds.begin(), seconds.end());
    slowest.push_back(*std::max_element(seconds.begin(), seconds.end()));
    // Back: it joins and takes its share again.
    ASSERT_TRUE(cluster.Restart(victim));
    ASSERT_TRUE(cluster.WaitSpread(std::chrono::seconds(15)));
    ASSERT_FALSE(cluster.HallsOf(victim).empty());
  }
  Pause(500);
  load.Verify();
  std::printf(
      "failover over %d kills (kill -9 -> IssueTicket answered at the new "
      "owner): slowest hall per kill median %.0f ms, max %.0f ms; all %zu "
      "halls median %.0f ms\n",
      kills, 1000 * Median(slowest),
      1000 * *std::max_element(slowest.begin(), slowest.end()), all.size(),
      1000 * Median(all));
}

TEST_F(QcalldClusterTest, APausedNodeLosesItsHallsAndIsFencedWhenItWakes) {
  if (cluster_ == nullptr) return;  // Skipped, or failed in SetUp.
  Cluster& cluster = *cluster_;
  Load& load = *load_;

  const int victim = 1;
  const std::vector<std::string> halls = cluster.HallsOf(victim);
  ASSERT_FALSE(halls.empty());
  const std::string paused = cluster.Address(victim);
  const auto stopped = Clock::now();
  ASSERT_EQ(::kill(cluster.node(victim).pid(), SIGSTOP), 0);
  // A write sent to it while it sleeps waits in its socket.
  grpc::Status late;
  std::thread sent_while_paused([&] {
    grpc::ClientContext context;
    Prepare(&context, kKioskToken, milliseconds(15000));
    v1::CommandReply reply;
    late = Issue(cluster.ChannelTo(paused), &context, halls[0],
                 "sent-while-paused", &reply);
  });
  // Its lease runs out, its session is ended, its halls move.
  const std::vector<double> seconds =
      TimeToServe(&cluster, &load, halls, paused, 0, stopped);
  for (double s : seconds) {
    EXPECT_LT(s, 5.0) << "a hall of the paused node served again after " << s
                      << " s";
  }
  ASSERT_EQ(::kill(cluster.node(victim).pid(), SIGCONT), 0);
  sent_while_paused.join();
  // Not acknowledged: it no longer holds the hall, so nothing of it is
  // written; the client asks the owner.
  EXPECT_EQ(late.error_code(), grpc::StatusCode::UNAVAILABLE) << Describe(late);
  // It noticed, rejoined, and takes its share back.
  ASSERT_TRUE(cluster.WaitSpread(std::chrono::seconds(15)));
  EXPECT_FALSE(cluster.HallsOf(victim).empty());
  Pause(1000);
  load.Verify();
  const std::string log = cluster.node(victim).Log();
  EXPECT_NE(log.find("lost to another node"), std::string::npos);
  std::printf("paused node: %s; its halls served elsewhere after %.0f ms\n",
              Describe(late).c_str(),
              1000 * *std::max_element(seconds.begin(), seconds.end()));
}

}  // namespace
}  // namespace qcall::testing
