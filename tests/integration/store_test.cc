// qcalld's --store: the journal lives where the URL says, across restarts;
// a store that is not built refuses to start with a word on why.
#include <filesystem>
#include <fstream>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/integration/harness.h"
#include "tests/integration/qcalld_process.h"

namespace qcall::testing {
namespace {

using ::testing::HasSubstr;

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

TEST(QcalldStoreTest, AStoreNotBuiltRefusesToStart) {
  QcalldProcess server({.config_text = TestConfig(),
                        .extra_args = {"--store", "postgresql://db/qcall"}});
  EXPECT_FALSE(server.Start());
  EXPECT_THAT(server.Log(), HasSubstr("PostgreSQL store is not built yet"));
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
  // Restarted on a folder whose journal was begun and then emptied: refused,
  // unless the operator says to start empty.
  server.Kill();
  std::filesystem::create_directories(server.data_dir());
  const std::string journal = server.data_dir() + "/journal.sqlite";
  std::ofstream(journal + ".created") << "begun";
  std::ofstream(journal).close();
  EXPECT_FALSE(server.Start());
  EXPECT_THAT(server.Log(), HasSubstr("--start-empty"));
}

}  // namespace
}  // namespace qcall::testing
