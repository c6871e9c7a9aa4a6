// qcalld's --store: the journal lives where the URL says, across restarts;
// a store that is not built refuses to start with a word on why.
#include <sqlite3.h>
#include <sys/wait.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/common/postgres_server.h"
#include "tests/integration/harness.h"
#include "tests/integration/qcalld_process.h"

namespace qcall::testing {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::Not;

TEST(QcalldStoreTest, SqliteUrlPutsTheJournalWhereItSays) {
  const std::string path = ::testing::TempDir() + "qcall-store-" +
                           std::to_string(::getpid()) + "/halls.sqlite";
  std::filesystem::remove_all(std::filesystem::path(path).parent_path());
  {
    QcalldProcess server({.config_text = TestConfig(),
                          .extra_args = {"--store", "sqlite:" + path}});
    ASSERT_TRUE(server.Start());
    {
      Api api(server.NewChannel());
      ASSERT_OK(api.Issue("BILL"));
    }
    ASSERT_TRUE(server.Restart());
    Api api(server.NewChannel());
    auto second = api.Issue("BILL");
    ASSERT_OK(second);
    EXPECT_EQ(second->ticket().number(), "A0002") << "the journal was kept";
    EXPECT_TRUE(std::filesystem::exists(path));
    EXPECT_FALSE(std::filesystem::exists(server.data_dir() + "/journal.sqlite"))
        << "--store overrides --data";
  }
  std::filesystem::remove_all(std::filesystem::path(path).parent_path());
}

// A database no one serves (port 1): the start is refused, naming it
// without its password.
TEST(QcalldStoreTest, ADatabaseNotThereRefusesToStart) {
  QcalldProcess server(
      {.config_text = TestConfig(),
       .extra_args = {"--store", "postgresql://qcall:s3cret@127.0.0.1:1/qcall"},
       .init_store = false,
       .private_key = false});
  EXPECT_FALSE(server.Start());
  EXPECT_THAT(
      server.Log(),
      HasSubstr("cannot connect to postgresql://qcall:***@127.0.0.1:1"));
  EXPECT_THAT(server.Log(), Not(HasSubstr("s3cret")));
}

TEST(QcalldStoreTest,
     ADeletedDataFolderStopsAcknowledgingAndALostJournalStopsTheStart) {
  QcalldProcess server({.config_text = TestConfig()});
  ASSERT_TRUE(server.Start());
  {
    Api api(server.NewChannel());
    ASSERT_OK(api.Issue("BILL"));
    std::filesystem::remove_all(server.data_dir());
    EXPECT_CODE(api.Issue("BILL"), grpc::StatusCode::UNAVAILABLE)
        << "nothing is acknowledged into a deleted file";
    EXPECT_CODE(api.Issue("BILL"), grpc::StatusCode::UNAVAILABLE);
  }
  // Restarted on the folder removed: refused, and nothing made there.
  server.Kill();
  EXPECT_FALSE(server.Start());
  EXPECT_THAT(
      server.Log(),
      AllOf(HasSubstr("no journal at " + server.data_dir() + "/journal.sqlite"),
            HasSubstr("--init-store` once"),
            HasSubstr("restore it from a backup")));
  EXPECT_FALSE(std::filesystem::exists(server.data_dir()));
  // Or on a folder whose journal was begun and then emptied.
  std::filesystem::create_directories(server.data_dir());
  const std::string journal = server.data_dir() + "/journal.sqlite";
  std::ofstream(journal + ".created") << "begun";
  std::ofstream(journal).close();
  EXPECT_FALSE(server.Start());
  EXPECT_THAT(server.Log(), HasSubstr("(but one was begun here: "));
  // The operator's decision to begin again: numbers restart, and a WARNING
  // says so.
  ASSERT_TRUE(server.InitStore());
  EXPECT_THAT(server.Log(), HasSubstr("restarts today's numbers at 1"));
  ASSERT_TRUE(server.Start());
  Api api(server.NewChannel());
  auto first = api.Issue("BILL");
  ASSERT_OK(first);
  EXPECT_EQ(first->ticket().number(), "A0001");
}

TEST(QcalldStoreTest, AFolderWithoutAJournalIsRefusedAndNothingIsMade) {
  QcalldProcess server({.config_text = TestConfig(), .init_store = false});
  EXPECT_FALSE(server.Start());
  EXPECT_THAT(server.Log(),
              AllOf(HasSubstr("no journal at " + server.data_dir() +
                              "/journal.sqlite. A new installation: run "
                              "`qcalld --data " +
                              server.data_dir() + " --init-store` once"),
                    HasSubstr("If the journal was lost: restore it from a "
                              "backup; starting empty restarts today's "
                              "numbers at 1")));
  EXPECT_FALSE(std::filesystem::exists(server.data_dir()));
  // An empty folder is no journal either.
  std::filesystem::create_directories(server.data_dir());
  EXPECT_FALSE(server.Start());
  EXPECT_TRUE(std::filesystem::is_empty(server.data_dir()));
}

TEST(QcalldStoreTest, InitStoreMakesTheJournalOnceAndTheServerStartsOnIt) {
  QcalldProcess server({.config_text = TestConfig(), .init_store = false});
  ASSERT_TRUE(server.InitStore());
  EXPECT_THAT(server.Log(), HasSubstr("made a new, empty journal at sqlite:" +
                                      server.data_dir() + "/journal.sqlite"));
  EXPECT_TRUE(std::filesystem::exists(server.data_dir() + "/journal.sqlite"));
  ASSERT_TRUE(server.Start());
  {
    Api api(server.NewChannel());
    auto first = api.Issue("BILL");
    ASSERT_OK(first);
    EXPECT_EQ(first->ticket().number(), "A0001");
  }
  ASSERT_TRUE(server.Stop());
  // A second --init-store is refused and changes nothing.
  EXPECT_FALSE(server.InitStore());
  EXPECT_THAT(server.Log(), HasSubstr("a journal already exists at"));
  ASSERT_TRUE(server.Start());
  Api api(server.NewChannel());
  auto second = api.Issue("BILL");
  ASSERT_OK(second);
  EXPECT_EQ(second->ticket().number(), "A0002") << "the journal was kept";
}

TEST(QcalldStoreTest, InitStoreChecksTheConfigItIsGiven) {
  QcalldProcess server(
      {.config_text = "halls { this is not a config", .init_store = false});
  EXPECT_FALSE(server.InitStore());
  EXPECT_FALSE(std::filesystem::exists(server.data_dir()))
      << "nothing is made with a bad config";
}

// `qcall audit verify` on the store `url` (the test's own): its exit code
// and what it printed.
std::pair<int, std::string> Audit(const std::string& url) {
  const std::string command =
      std::string(QCALL_CLI_PATH) + " audit verify --store " + url + " 2>&1";
  FILE* out = popen(command.c_str(), "r");
  std::string text;
  char buffer[4096];
  size_t n;
  while ((n = fread(buffer, 1, sizeof(buffer), out)) > 0)
    text.append(buffer, n);
  const int status = pclose(out);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, text};
}

TEST(QcalldStoreTest, AnEditedJournalRefusesToStartAndTheAuditNamesTheRecord) {
  QcalldProcess server({.config_text = TestConfig()});
  ASSERT_TRUE(server.Start());
  {
    Api api(server.NewChannel());
    for (int i = 0; i < 3; ++i) ASSERT_OK(api.Issue("BILL"));
  }
  ASSERT_TRUE(server.Stop());
  const std::string journal = server.data_dir() + "/journal.sqlite";
  const auto [good, good_text] = Audit("sqlite:" + journal);
  EXPECT_EQ(good, 0) << good_text;
  EXPECT_THAT(good_text, HasSubstr("BILL: 1..3 contiguous")) << good_text;

  // The sqlite3 shell's way: the next-to-last record a day earlier.
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(journal.c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db,
                         "UPDATE journal SET at_ms = at_ms - 86400000 WHERE "
                         "(hall_id, idx) = (SELECT hall_id, MAX(idx) - 1 "
                         "FROM journal)",
                         nullptr, nullptr, nullptr),
            SQLITE_OK);
  ASSERT_EQ(sqlite3_changes(db), 1);
  sqlite3_close(db);

  EXPECT_FALSE(server.Start()) << "an edited journal must not start";
  EXPECT_THAT(server.Log(),
              HasSubstr(": edited: its contents no longer match"));
  const auto [broken, broken_text] = Audit("sqlite:" + journal);
  EXPECT_EQ(broken, 1) << broken_text;
  EXPECT_THAT(broken_text, AllOf(HasSubstr("BROKEN"),
                                 HasSubstr("first problem: journal of hall"),
                                 HasSubstr("edited")));
}

// The same on PostgreSQL (qcalld --store postgresql://...): the chain and
// the audit go through the store seam.
TEST(QcalldStoreTest, OnPostgresAnEditedJournalRefusesToStartAndTheAuditSays) {
  absl::StatusOr<std::string> url = NewPostgresDatabase();
  if (absl::IsNotFound(url.status())) GTEST_SKIP() << url.status().message();
  ASSERT_TRUE(url.ok()) << url.status();
  QcalldProcess server({.config_text = TestConfig(),
                        .extra_args = {"--store", *url},
                        .private_key = false});
  ASSERT_TRUE(server.Start());
  {
    Api api(server.NewChannel());
    for (int i = 0; i < 3; ++i) ASSERT_OK(api.Issue("BILL"));
  }
  ASSERT_TRUE(server.Stop());
  const auto [good, good_text] = Audit(*url);
  EXPECT_EQ(good, 0) << good_text;
  EXPECT_THAT(good_text, HasSubstr("BILL: 1..3 contiguous")) << good_text;

  ASSERT_TRUE(PostgresServer::Query(
                  *url,
                  "UPDATE journal SET at_ms = at_ms - 86400000 WHERE "
                  "(hall_id, idx) = (SELECT hall_id, MAX(idx) - 1 FROM "
                  "journal WHERE hall_id = 'it-hall' GROUP BY hall_id)")
                  .ok());
  EXPECT_FALSE(server.Start()) << "an edited journal must not start";
  EXPECT_THAT(server.Log(),
              HasSubstr(": edited: its contents no longer match"));
  const auto [broken, broken_text] = Audit(*url);
  EXPECT_EQ(broken, 1) << broken_text;
  EXPECT_THAT(broken_text, AllOf(HasSubstr("BROKEN"), HasSubstr("edited")));
}

// A disk that fills up under a running qcalld: a tmpfs of 512 KiB.
class SmallDisk {
 public:
  SmallDisk() {
    dir_ =
        ::testing::TempDir() + "qcall-small-disk-" + std::to_string(::getpid());
    std::filesystem::create_directories(dir_);
    mounted_ = std::system(("mount -t tmpfs -o size=512k tmpfs " + dir_ +
                            " 2>/dev/null")
                               .c_str()) == 0;
  }
  ~SmallDisk() {
    if (mounted_) std::system(("umount " + dir_).c_str());
    std::filesystem::remove_all(dir_);
  }
  bool mounted() const { return mounted_; }
  std::string journal() const { return dir_ + "/journal.sqlite"; }

 private:
  std::string dir_;
  bool mounted_ = false;
};

TEST(QcalldStoreTest, WhenTheDiskFillsOnlyWhatIsDurableIsEverShown) {
  SmallDisk disk;
  if (!disk.mounted()) GTEST_SKIP() << "no tmpfs can be mounted here";
  QcalldProcess server({.config_text = TestConfig(),
                        .extra_args = {"--store", "sqlite:" + disk.journal()}});
  ASSERT_TRUE(server.Start());
  Api api(server.NewChannel());
  int acknowledged = 0;
  grpc::Status refusal;
  for (int i = 0; i < 20'000; ++i) {
    auto issued = api.Issue("BILL", v1::CATEGORY_NORMAL,
                            "fill-" + std::to_string(i), "13900001234");
    if (!issued.ok()) {
      refusal = issued.status;
      break;
    }
    ++acknowledged;
  }
  ASSERT_EQ(refusal.error_code(), grpc::StatusCode::UNAVAILABLE)
      << "the disk never filled";
  ASSERT_GT(acknowledged, 0);
  std::printf("the disk filled after %d tickets: %s\n", acknowledged,
              refusal.error_message().c_str());
  // The ticket whose IssueTicket failed is nowhere; the next number is not
  // shown as taken; the counts are those of the acknowledged tickets.
  char next[16];
  std::snprintf(next, sizeof(next), "A%04d", acknowledged + 1);
  EXPECT_CODE(api.GetTicket(next), grpc::StatusCode::NOT_FOUND) << next;
  auto services = api.ListServices();
  ASSERT_OK(services);
  for (const v1::ServiceStatus& s : services->services()) {
    if (s.code() == "BILL") {
      EXPECT_EQ(s.waiting(), acknowledged);
    }
  }
  // A board that connects now gets the durable hall, then a clear status.
  Watcher board(&api.display, kDisplayToken, WatchFrom(0));
  v1::WatchResponse response;
  ASSERT_TRUE(board.Read(&response)) << "the durable snapshot";
  ASSERT_TRUE(response.has_snapshot());
  int waiting = 0;
  for (const auto& s : response.snapshot().services()) waiting += s.waiting();
  EXPECT_EQ(waiting, acknowledged);
  EXPECT_FALSE(board.Read(&response));
  const grpc::Status ended = board.Finish();
  EXPECT_EQ(ended.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_NE(ended.error_message().find("journal"), std::string::npos)
      << ended.error_message();
}

}  // namespace
}  // namespace qcall::testing
