// OpenJournalStore: the store a URL names, and clear refusals otherwise.
#include "dispatcher/journal_store.h"

#include <sys/stat.h>

#include <filesystem>
#include <fstream>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace qcall {
namespace {

using ::testing::HasSubstr;

TEST(OpenJournalStoreTest, SqliteCreateMakesItsFolderAndKeepsRecords) {
  const std::filesystem::path dir =
      std::filesystem::temp_directory_path() /
      ("qcall-store-url-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  const std::string path = (dir / "nested" / "journal.sqlite").string();
  // Without `create`, a missing folder is a missing journal: refused, and
  // not made.
  EXPECT_EQ(OpenJournalStore("sqlite:" + path).status().code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_FALSE(std::filesystem::exists(dir));
  {
    absl::StatusOr<std::unique_ptr<JournalStore>> store =
        OpenJournalStore("sqlite:" + path, {.create = true});
    ASSERT_TRUE(store.ok()) << store.status();
    const JournalRecord record{"hall", 1, 1000, "", "command", ""};
    ASSERT_TRUE((*store)->Commit({&record, 1}, {}).ok());
  }
  absl::StatusOr<std::unique_ptr<JournalStore>> again =
      OpenJournalStore("sqlite:" + path);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(*(*again)->LastIndex("hall"), 1u);
  std::filesystem::remove_all(dir);
}

TEST(OpenJournalStoreTest, RefusesWhatItCannotOpen) {
  EXPECT_EQ(OpenJournalStore("sqlite:").status().code(),
            absl::StatusCode::kInvalidArgument);
  // A PostgreSQL URL is the PostgreSQL store's (a server on port 1 is
  // nobody's): both spellings.
  for (const char* scheme : {"postgresql", "postgres"}) {
    const absl::Status postgres =
        OpenJournalStore(absl::StrCat(scheme, "://qcall@127.0.0.1:1/qcall"))
            .status();
    EXPECT_EQ(postgres.code(), absl::StatusCode::kUnavailable);
    EXPECT_THAT(postgres.message(), HasSubstr("cannot connect to"));
  }
  const absl::Status unknown = OpenJournalStore("mysql://x").status();
  EXPECT_EQ(unknown.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(unknown.message(), HasSubstr("mysql://x"));
  EXPECT_EQ(OpenJournalStore("data/journal.sqlite").status().code(),
            absl::StatusCode::kInvalidArgument)
      << "a bare path is no URL";
  // A file where the folder must be: even root cannot make it.
  const std::filesystem::path file =
      std::filesystem::temp_directory_path() /
      ("qcall-store-file-" + std::to_string(::getpid()));
  { std::ofstream(file.string()) << "x"; }
  EXPECT_EQ(OpenJournalStore("sqlite:" + (file / "journal.sqlite").string(),
                             {.create = true})
                .status()
                .code(),
            absl::StatusCode::kUnavailable);
  std::filesystem::remove(file);
}

TEST(RedactedStoreUrlTest, HidesThePasswordOnly) {
  EXPECT_EQ(RedactedStoreUrl("postgresql://u:pw@h:5432/db"),
            "postgresql://u:***@h:5432/db");
  EXPECT_EQ(RedactedStoreUrl("postgres://u@h/db?password=pw&x=1"),
            "postgres://u@h/db?password=***&x=1");
  EXPECT_EQ(RedactedStoreUrl("postgresql://h/db"), "postgresql://h/db");
  EXPECT_EQ(RedactedStoreUrl("sqlite:data/journal.sqlite"),
            "sqlite:data/journal.sqlite");
}

}  // namespace
}  // namespace qcall
