// Customers' private data against a real qcalld: a phone given at the kiosk
// is in no journal row, snapshot, event, reply or log line, and in no byte of
// any file of the data folder; a supervisor reads it back only with a reason,
// each read recorded and listed; a restart keeps it readable; bad requests
// get the right status and change nothing; a server without
// --private-key-file refuses phones.
#include <sys/stat.h>

#include <filesystem>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "qcall/v1/api.grpc.pb.h"
#include "tests/integration/harness.h"
#include "tests/integration/http_client.h"
#include "tests/integration/qcalld_process.h"
#include "tests/common/files_holding.h"

namespace qcall::testing {
namespace {

constexpr char kPhone[] = "13800138000";
constexpr char kOtherPhone[] = "+86 139 0000 1111";

Result<v1::PrivateData> ReadPrivate(Api& api, const std::string& ticket,
                                    const std::string& reason,
                                    int32_t business_day = 0,
                                    const std::string& token = kSupervisorToken,
                                    const std::string& hall = kHall) {
  v1::ReadPrivateDataRequest r;
  r.set_hall_id(hall);
  r.set_ticket(ticket);
  r.set_business_day(business_day);
  r.set_reason(reason);
  return api.Call(&api.supervisor, &v1::Supervisor::Stub::ReadPrivateData,
                  token, r);
}

Result<v1::PrivateDataReads> ListReads(
    Api& api, int32_t limit = 0, const std::string& token = kSupervisorToken) {
  v1::ListPrivateDataReadsRequest r;
  r.set_hall_id(kHall);
  r.set_limit(limit);
  return api.Call(&api.supervisor, &v1::Supervisor::Stub::ListPrivateDataReads,
                  token, r);
}

TEST(PrivateDataTest, APhoneIsKeptApartReadWithAReasonAndNowhereElse) {
  // A snapshot every 2 commands, so snapshots hold the tickets too.
  QcalldProcess server({.config_text = TestConfig(),
                        .snapshot_every = 2,
                        .extra_args = {"--http", "127.0.0.1:0"}});
  ASSERT_TRUE(server.Start());
  Api api(server.NewChannel());
  Api::Reply a = api.Issue("BILL", v1::CATEGORY_NORMAL, "k-1", kPhone);
  ASSERT_OK(a);
  const int32_t day = a->ticket().business_day();
  ASSERT_OK(api.Issue("BILL", v1::CATEGORY_VIP, "k-2", kOtherPhone));
  ASSERT_OK(api.Issue("SIM"));
  ASSERT_OK(api.Open(3, "c3"));
  ASSERT_OK(api.CallNext(3));
  // The reply carries no phone.
  EXPECT_EQ(a->SerializeAsString().find(kPhone), std::string::npos);

  // Read with a reason: the phone, and the read is listed.
  Result<v1::PrivateData> read =
      ReadPrivate(api, "A0001", "call back: complaint about the wait");
  ASSERT_OK(read);
  EXPECT_EQ(read->phone(), kPhone);
  EXPECT_EQ(read->business_day(), day);
  EXPECT_EQ(ReadPrivate(api, "A0002", "call back", day)->phone(), kOtherPhone);
  // A ticket without a phone: NOT_FOUND, recorded too.
  EXPECT_CODE(ReadPrivate(api, "B0001", "call back"),
              grpc::StatusCode::NOT_FOUND);
  Result<v1::PrivateDataReads> reads = ListReads(api);
  ASSERT_OK(reads);
  ASSERT_EQ(reads->reads_size(), 3);
  EXPECT_EQ(reads->reads(2).ticket(), "A0001");
  EXPECT_EQ(reads->reads(2).reader(), kSupervisorName);
  EXPECT_EQ(reads->reads(2).reason(), "call back: complaint about the wait");
  EXPECT_EQ(reads->reads(2).outcome(), "returned");
  EXPECT_GT(reads->reads(2).at_unix_ms(), 0);
  EXPECT_EQ(reads->reads(0).outcome(), "no private data");
  EXPECT_EQ(ListReads(api, 1)->reads_size(), 1);

  // Over HTTP JSON too.
  HttpClient http(server.http_port());
  HttpReply json =
      http.Post("/qcall.v1.Supervisor/ReadPrivateData",
                R"({"hallId": "it-hall", "ticket": "A0001", "reason": "http"})",
                kSupervisorToken);
  EXPECT_EQ(json.status, 200u) << json.body;
  EXPECT_NE(json.body.find(kPhone), std::string::npos) << json.body;
  HttpReply no_reason = http.Post("/qcall.v1.Supervisor/ReadPrivateData",
                                  R"({"hallId": "it-hall", "ticket": "A0001"})",
                                  kSupervisorToken);
  EXPECT_EQ(no_reason.status, 400u) << no_reason.body;

  // Nowhere else: no event, no view, no log line, no byte of any file of
  // the data folder (journal, -wal, -shm, snapshots).
  Result<v1::HallView> view = api.GetHall();
  ASSERT_OK(view);
  EXPECT_EQ(view->SerializeAsString().find(kPhone), std::string::npos);
  {
    Watcher watch(&api.display, kDisplayToken, WatchFrom(0));
    std::vector<v1::HallEvent> events;
    v1::WatchResponse first;
    ASSERT_TRUE(watch.Read(&first));  // The snapshot.
    EXPECT_EQ(first.SerializeAsString().find(kPhone), std::string::npos);
  }
  {
    Watcher watch(&api.display, kDisplayToken, WatchFrom(1));
    std::vector<v1::HallEvent> events;
    ASSERT_TRUE(watch.EventsThrough(view->last_seq(), &events));
    for (const v1::HallEvent& e : events) {
      EXPECT_EQ(e.SerializeAsString().find(kPhone), std::string::npos);
    }
  }
  for (const std::string& phone :
       {std::string(kPhone), std::string(kOtherPhone), std::string("38000")}) {
    EXPECT_TRUE(FilesHolding(server.data_dir(), phone).empty())
        << phone << " in " << FilesHolding(server.data_dir(), phone)[0];
  }
  EXPECT_EQ(server.Log().find(kPhone), std::string::npos);
  EXPECT_EQ(server.Log().find("38000"), std::string::npos);
  // The data folder's files are qcalld's alone.
  for (const auto& entry :
       std::filesystem::directory_iterator(server.data_dir())) {
    struct stat file;
    ASSERT_EQ(::stat(entry.path().c_str(), &file), 0);
    EXPECT_EQ(file.st_mode & 077, 0u) << entry.path();
  }

  // kill -9 and restart: still readable, and the reads still listed.
  ASSERT_TRUE(server.Restart());
  Api again(server.NewChannel());
  EXPECT_EQ(ReadPrivate(again, "A0001", "after the restart", day)->phone(),
            kPhone);
  EXPECT_EQ(ListReads(again)->reads_size(), 5);
  server.Kill();
  EXPECT_TRUE(FilesHolding(server.data_dir(), kPhone).empty());
}

TEST(PrivateDataTest, BadReadsAreRefusedAndRecordNothing) {
  QcalldProcess server({.config_text = TestConfig()});
  ASSERT_TRUE(server.Start());
  Api api(server.NewChannel());
  ASSERT_OK(api.Issue("BILL", v1::CATEGORY_NORMAL, "", kPhone));
  // Only a supervisor, and only of its halls.
  for (const char* token : {kKioskToken, kCounterToken, kDisplayToken}) {
    EXPECT_CODE(ReadPrivate(api, "A0001", "curious", 0, token),
                grpc::StatusCode::PERMISSION_DENIED);
    EXPECT_CODE(ListReads(api, 0, token), grpc::StatusCode::PERMISSION_DENIED);
  }
  EXPECT_CODE(ReadPrivate(api, "A0001", "curious", 0, kOtherSupervisorToken),
              grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_CODE(ReadPrivate(api, "A0001", "curious", 0, ""),
              grpc::StatusCode::UNAUTHENTICATED);
  // A reason is required, and a real day.
  Result<v1::PrivateData> no_reason = ReadPrivate(api, "A0001", "  ");
  EXPECT_CODE(no_reason, grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(no_reason.status.error_message().find("reason is required"),
            std::string::npos);
  EXPECT_CODE(ReadPrivate(api, "A0001", std::string(201, 'r')),
              grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_CODE(ReadPrivate(api, "", "call back"),
              grpc::StatusCode::INVALID_ARGUMENT);
  Result<v1::PrivateData> no_day = ReadPrivate(api, "A0001", "x", 20260230);
  EXPECT_CODE(no_day, grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(no_day.status.error_message().find("20260230 is no day"),
            std::string::npos);
  EXPECT_CODE(ReadPrivate(api, "A0001", "x", 2026123),
              grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_CODE(ReadPrivate(api, "A0001", "x", 0, kSupervisorToken, "no-hall"),
              grpc::StatusCode::NOT_FOUND);
  EXPECT_CODE(ListReads(api, 1001), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_CODE(ListReads(api, -1), grpc::StatusCode::INVALID_ARGUMENT);
  // None of those was a read: nothing recorded.
  EXPECT_EQ(ListReads(api)->reads_size(), 0);
  // Phones that are not phones, refused before a ticket is issued.
  for (const std::string& phone :
       {std::string(33, '1'), std::string("call me"), std::string("+-()"),
        std::string("1380013800\n")}) {
    EXPECT_CODE(api.Issue("BILL", v1::CATEGORY_NORMAL, "", phone),
                grpc::StatusCode::INVALID_ARGUMENT)
        << phone;
  }
  EXPECT_EQ(api.GetHall()->services(0).waiting(), 1);
}

TEST(PrivateDataTest, WithoutAKeyFileAServerRefusesPhones) {
  QcalldProcess server({.config_text = TestConfig(), .private_key = false});
  ASSERT_TRUE(server.Start());
  Api api(server.NewChannel());
  Api::Reply refused = api.Issue("BILL", v1::CATEGORY_NORMAL, "", kPhone);
  EXPECT_CODE(refused, grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_NE(refused.status.error_message().find("--private-key-file"),
            std::string::npos);
  EXPECT_OK(api.Issue("BILL"));  // Without a phone, as before.
  EXPECT_EQ(api.GetHall()->services(0).waiting(), 1);
  EXPECT_CODE(ReadPrivate(api, "A0001", "call back"),
              grpc::StatusCode::FAILED_PRECONDITION);
}

TEST(PrivateDataTest, AKeyFileInTheDataFolderIsRefused) {
  QcalldProcess probe({.config_text = TestConfig()});
  ASSERT_TRUE(probe.Start());
  probe.Kill();
  const std::string inside = probe.data_dir() + "/private.key";
  std::filesystem::copy_file(probe.private_key_path(), inside);
  // The same journal through --store, with the key beside it.
  QcalldProcess server(
      {.config_text = TestConfig(),
       .extra_args = {"--store",
                      "sqlite:" + probe.data_dir() + "/journal.sqlite",
                      "--private-key-file", inside},
       .init_store = false,  // The journal is there already.
       .private_key = false});
  EXPECT_FALSE(server.Start());
  EXPECT_NE(server.Log().find("lies in the data folder"), std::string::npos)
      << server.Log();
}

}  // namespace
}  // namespace qcall::testing
