// Faults injected into a running qcalld's journal: fsync failing, writes
// failing (EIO), a full disk (ENOSPC), the data folder taken away. The fsync
// and write faults come from tests/fault/fault_shim.cc under LD_PRELOAD,
// switched on and off by a control file while qcalld runs. For each: the
// command that meets the fault and every later one is refused with
// UNAVAILABLE and a message, also after the fault has cleared (a failed
// write is final until a restart: never retried and then acknowledged); a
// read right after shows nothing that is not durable; /healthz answers 503
// naming the journal; after a restart without the fault every acknowledged
// ticket is there and the numbers run on without a gap or a repeat.
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/integration/harness.h"
#include "tests/integration/http_client.h"
#include "tests/integration/qcalld_process.h"

#ifndef FAULT_SHIM
#error "FAULT_SHIM must name libqcall_fault_shim.so"
#endif

namespace qcall::testing {
namespace {

using ::testing::HasSubstr;

constexpr int kAcknowledged = 5;

struct Fault {
  std::string ops;    // QCALL_FAULT_OPS.
  std::string error;  // QCALL_FAULT_ERRNO.
  std::string what;   // What the refusal's message names.
};

// ASAN_OPTIONS for a server built with AddressSanitizer, whose runtime
// must otherwise come first in the list of libraries, before the shim.
std::string AsanOptions() {
  const char* options = std::getenv("ASAN_OPTIONS");
  std::string value = options != nullptr ? options : "";
  if (!value.empty()) value += ":";
  return "ASAN_OPTIONS=" + value + "verify_asan_link_order=0";
}

// A qcalld whose journal files fail as `fault` says while `control()`
// exists.
class FaultyServer {
 public:
  explicit FaultyServer(const Fault& fault)
      : control_(::testing::TempDir() + "qcall-fault-" +
                 std::to_string(::getpid()) + "-on"),
        server_({.config_text = TestConfig(),
                 .extra_args = {"--http", "127.0.0.1:0"},
                 .env = {std::string("LD_PRELOAD=") + FAULT_SHIM,
                         "QCALL_FAULT_PATH=journal.sqlite",
                         "QCALL_FAULT_OPS=" + fault.ops,
                         "QCALL_FAULT_ERRNO=" + fault.error,
                         "QCALL_FAULT_CONTROL=" + control_, AsanOptions()}}) {
    std::filesystem::remove(control_);
  }
  ~FaultyServer() { std::filesystem::remove(control_); }

  void FaultOn() { std::ofstream(control_) << "on"; }
  void FaultOff() { std::filesystem::remove(control_); }
  QcalldProcess& server() { return server_; }

 private:
  std::string control_;
  QcalldProcess server_;
};

std::string Number(int n) {
  char name[16];
  std::snprintf(name, sizeof(name), "A%04d", n);
  return name;
}

std::string IssueId(int n) { return "kiosk:" + std::to_string(n); }

// Issues tickets 1..kAcknowledged, each acknowledged.
void IssueAcknowledged(Api& api) {
  for (int n = 1; n <= kAcknowledged; ++n) {
    auto issued = api.Issue("BILL", v1::CATEGORY_NORMAL, IssueId(n));
    ASSERT_OK(issued);
    ASSERT_EQ(issued->ticket().number(), Number(n));
  }
}

// What a client sees while the journal has failed: refusals with a
// message, the durable hall only, and a health check naming the journal.
void ExpectFailedJournal(QcalldProcess& server, Api& api,
                         const std::string& refused_id) {
  auto refused = api.Issue("BILL", v1::CATEGORY_NORMAL, refused_id);
  ASSERT_EQ(refused.status.error_code(), grpc::StatusCode::UNAVAILABLE)
      << Describe(refused.status);
  EXPECT_THAT(refused.status.error_message(), HasSubstr("journal"));
  std::printf("refused: %s\n", refused.status.error_message().c_str());
  // Read right after: the ticket whose write failed is nowhere.
  EXPECT_CODE(api.GetTicket(Number(kAcknowledged + 1)),
              grpc::StatusCode::NOT_FOUND);
  auto hall = api.GetHall();
  ASSERT_OK(hall);
  EXPECT_EQ(FindService(*hall, "BILL")->issued_today(), kAcknowledged);
  auto services = api.ListServices();
  ASSERT_OK(services);
  for (const v1::ServiceStatus& s : services->services()) {
    if (s.code() == "BILL") {
      EXPECT_EQ(s.waiting(), kAcknowledged);
    }
  }
  HttpClient http(server.http_port());
  HttpReply health = http.Get("/healthz");
  EXPECT_EQ(health.status, 503u) << health.body;
  EXPECT_THAT(health.body, HasSubstr("journal"));
}

// After the restart: every acknowledged ticket, the refused request retried
// gets the next number (or its own, when the write had reached the disk),
// and numbers run 1..n.
void ExpectNothingLost(QcalldProcess& server,
                       const std::vector<std::string>& refused_ids) {
  Api api(server.NewChannel());
  for (int n = 1; n <= kAcknowledged; ++n) {
    auto ticket = api.GetTicket(Number(n));
    ASSERT_OK(ticket) << Number(n);
    EXPECT_EQ(ticket->ticket().service_code(), "BILL");
  }
  const bool kept = api.GetTicket(Number(kAcknowledged + 1)).ok();
  std::printf(
      "after the restart the refused ticket %s\n",
      kept ? "is there (its write had reached the disk)" : "is not there");
  // Each refused request, retried, and one more: the next numbers in turn.
  int next = kAcknowledged + 1;
  for (const std::string& id : refused_ids) {
    auto retried = api.Issue("BILL", v1::CATEGORY_NORMAL, id);
    ASSERT_OK(retried) << id;
    EXPECT_EQ(retried->ticket().number(), Number(next)) << id;
    ++next;
  }
  auto fresh = api.Issue("BILL", v1::CATEGORY_NORMAL, "after-restart");
  ASSERT_OK(fresh);
  EXPECT_EQ(fresh->ticket().number(), Number(next));
  auto hall = api.GetHall();
  ASSERT_OK(hall);
  const int issued = FindService(*hall, "BILL")->issued_today();
  EXPECT_EQ(issued, next);
  for (int n = 1; n <= issued; ++n) EXPECT_OK(api.GetTicket(Number(n)));
  EXPECT_CODE(api.GetTicket(Number(issued + 1)), grpc::StatusCode::NOT_FOUND);
  HttpClient http(server.http_port());
  EXPECT_EQ(http.Get("/healthz").status, 200u);
}

void RunFault(const Fault& fault) {
  FaultyServer faulty(fault);
  QcalldProcess& server = faulty.server();
  ASSERT_TRUE(server.Start());
  {
    Api api(server.NewChannel());
    ASSERT_OK(api.Open(1, "clerk-1"));
    IssueAcknowledged(api);
    {
      HttpClient http(server.http_port());
      EXPECT_EQ(http.Get("/healthz").status, 200u);
    }
    faulty.FaultOn();
    ExpectFailedJournal(server, api, "refused:1");
    EXPECT_THAT(server.Log(), HasSubstr("qcall-fault-shim: " + fault.what))
        << "the shim never failed a call";
    // The disk works again, but qcalld does not trust the journal: writes
    // stay refused until a restart.
    faulty.FaultOff();
    ExpectFailedJournal(server, api, "refused:2");
    EXPECT_CODE(api.CallNext(1, "call-after-fault"),
                grpc::StatusCode::UNAVAILABLE);
  }
  ASSERT_TRUE(server.Restart());
  ExpectNothingLost(server, {"refused:1", "refused:2"});
}

TEST(QcalldFaultTest, FsyncFailingIsFinalAndLosesNothingAcknowledged) {
  RunFault({.ops = "fsync,fdatasync", .error = "EIO", .what = "fdatasync"});
}

TEST(QcalldFaultTest, WritesFailingAreFinalAndLoseNothingAcknowledged) {
  RunFault({.ops = "write", .error = "EIO", .what = "write"});
}

TEST(QcalldFaultTest, ADiskFullIsFinalAndLosesNothingAcknowledged) {
  RunFault({.ops = "write", .error = "ENOSPC", .what = "write"});
}

TEST(QcalldFaultTest, TheDataFolderTakenAwayIsFinalAndLosesNothingWhenBack) {
  QcalldProcess server(
      {.config_text = TestConfig(), .extra_args = {"--http", "127.0.0.1:0"}});
  ASSERT_TRUE(server.Start());
  const std::string away = server.dir() + "/data-away";
  {
    Api api(server.NewChannel());
    ASSERT_OK(api.Open(1, "clerk-1"));
    IssueAcknowledged(api);
    std::filesystem::rename(server.data_dir(), away);
    ExpectFailedJournal(server, api, "refused:1");
    EXPECT_THAT(server.Log(), HasSubstr("deleted or replaced"));
    // Back in place: still refused until a restart.
    std::filesystem::rename(away, server.data_dir());
    ExpectFailedJournal(server, api, "refused:2");
  }
  ASSERT_TRUE(server.Restart());
  ExpectNothingLost(server, {"refused:1", "refused:2"});
}

}  // namespace
}  // namespace qcall::testing
