// The stores a test runs over: a SQLite file in a temp folder of its own, or
// a new database of the test binary's PostgreSQL server
// (tests/common/postgres_server.h; NOT_FOUND where its binaries are absent,
// which the test skips, saying so).
//
//   INSTANTIATE_TEST_SUITE_P(Stores, MyTest,
//       ::testing::Values(StoreKind::kSqlite, StoreKind::kPostgres),
//       StoreKindName);
//   absl::StatusOr<StorePlace> place = NewStorePlace(GetParam());
//   if (absl::IsNotFound(place.status())) GTEST_SKIP() << ...;
#ifndef QCALL_TESTS_DISPATCHER_STORE_KINDS_H_
#define QCALL_TESTS_DISPATCHER_STORE_KINDS_H_

#include <unistd.h>

#include <filesystem>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "dispatcher/hall_ownership.h"
#include "dispatcher/journal_store.h"
#include "gtest/gtest.h"
#include "tests/common/postgres_server.h"

namespace qcall::testing {

enum class StoreKind { kSqlite, kPostgres };

inline std::string StoreKindName(
    const ::testing::TestParamInfo<StoreKind>& info) {
  return info.param == StoreKind::kSqlite ? "Sqlite" : "Postgres";
}

// Where a test's store lives. A SQLite folder is removed with the place.
struct StorePlace {
  StoreKind kind = StoreKind::kSqlite;
  std::string url;
  std::filesystem::path dir;  // SQLite's folder; empty on PostgreSQL.

  StorePlace() = default;
  StorePlace(StorePlace&& other) noexcept
      : kind(other.kind), url(std::move(other.url)), dir(std::move(other.dir)) {
    other.dir.clear();
  }
  StorePlace& operator=(StorePlace&& other) noexcept {
    std::swap(kind, other.kind);
    std::swap(url, other.url);
    std::swap(dir, other.dir);
    return *this;
  }
  ~StorePlace() {
    if (!dir.empty()) std::filesystem::remove_all(dir);
  }
  // The SQLite file (empty on PostgreSQL).
  std::string path() const {
    return dir.empty() ? std::string() : (dir / "journal.sqlite").string();
  }
};

// A new, empty place of `kind`, named after the running test.
inline absl::StatusOr<StorePlace> NewStorePlace(StoreKind kind) {
  StorePlace place;
  place.kind = kind;
  if (kind == StoreKind::kPostgres) {
    absl::StatusOr<std::string> url = NewPostgresDatabase();
    if (!url.ok()) return url.status();
    place.url = *url;
    return place;
  }
  const ::testing::TestInfo* test =
      ::testing::UnitTest::GetInstance()->current_test_info();
  std::string name = absl::StrCat("qcall-", getpid(), "-", test->name());
  for (char& c : name) {
    if (c == '/') c = '-';
  }
  place.dir = std::filesystem::temp_directory_path() / name;
  std::filesystem::remove_all(place.dir);
  std::filesystem::create_directories(place.dir);
  place.url = "sqlite:" + place.path();
  return place;
}

// The store at `place`, with `halls` taken where several nodes share it.
inline absl::StatusOr<std::unique_ptr<JournalStore>> OpenStoreAt(
    const StorePlace& place, const StoreOptions& options,
    std::initializer_list<const char*> halls) {
  absl::StatusOr<std::unique_ptr<JournalStore>> store =
      OpenJournalStore(place.url, options);
  if (store.ok() && (*store)->ownership() != nullptr) {
    for (const char* hall : halls) {
      if (absl::StatusOr<uint64_t> taken = (*store)->ownership()->Take(hall);
          !taken.ok()) {
        return taken.status();
      }
    }
  }
  return store;
}

}  // namespace qcall::testing

#endif  // QCALL_TESTS_DISPATCHER_STORE_KINDS_H_
