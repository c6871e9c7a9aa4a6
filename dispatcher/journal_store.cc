#include "dispatcher/journal_store.h"

#include <algorithm>
#include <filesystem>
#include <optional>
#include <system_error>

#include "absl/strings/cord.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "dispatcher/postgres_journal_store.h"
#include "dispatcher/sqlite_journal_store.h"

namespace qcall {

absl::Status JournalStore::ProjectJournaled(absl::Span<const JournalRecord>) {
  return absl::UnimplementedError("this store keeps no record tables");
}

absl::Status JournalStore::ClearRecords() {
  return absl::UnimplementedError("this store keeps no record tables");
}

namespace {
constexpr char kRefusedHallsPayload[] = "qcall.dev/refused-halls";
}  // namespace

absl::Status RefuseHalls(absl::Status status,
                         const std::vector<std::string>& hall_ids) {
  status.SetPayload(kRefusedHallsPayload,
                    absl::Cord(absl::StrJoin(hall_ids, "\n")));
  return status;
}

std::vector<std::string> RefusedHalls(const absl::Status& status) {
  auto halls = status.GetPayload(kRefusedHallsPayload);
  if (!halls || halls->empty()) return {};
  return absl::StrSplit(std::string(*halls), '\n');
}

std::string RedactedStoreUrl(absl::string_view url) {
  std::string out(url);
  // scheme://user:password@host:port/db?password=...
  if (const size_t scheme = out.find("://"); scheme != std::string::npos) {
    const size_t start = scheme + 3;
    const size_t end = std::min(out.find_first_of("/?", start), out.size());
    const size_t at = out.rfind('@', end);
    const size_t colon = out.find(':', start);
    if (at != std::string::npos && at >= start && colon < at) {
      out.replace(colon + 1, at - colon - 1, "***");
    }
  }
  if (const size_t p = out.find("password="); p != std::string::npos) {
    const size_t value = p + 9;
    const size_t end = std::min(out.find('&', value), out.size());
    out.replace(value, end - value, "***");
  }
  return out;
}

absl::StatusOr<std::unique_ptr<JournalStore>> OpenJournalStore(
    absl::string_view url, const StoreOptions& options) {
  absl::string_view path = url;
  if (absl::ConsumePrefix(&path, "sqlite:")) {
    if (path.empty()) {
      return absl::InvalidArgumentError(
          "store sqlite: needs a file, e.g. sqlite:data/journal.sqlite");
    }
    const std::filesystem::path file{std::string(path)};
    if (options.create && file.has_parent_path()) {
      std::error_code error;
      std::filesystem::create_directories(file.parent_path(), error);
      if (error) {
        return absl::UnavailableError(absl::StrCat(
            "cannot create the folder of ", path, ": ", error.message()));
      }
    }
    absl::StatusOr<std::unique_ptr<SqliteJournalStore>> store =
        SqliteJournalStore::Open(std::string(path), options);
    if (!store.ok()) return store.status();
    return std::unique_ptr<JournalStore>(*std::move(store));
  }
  if (absl::StartsWith(url, "postgresql://") ||
      absl::StartsWith(url, "postgres://")) {
    absl::StatusOr<std::unique_ptr<PostgresJournalStore>> store =
        PostgresJournalStore::Open(std::string(url), options);
    if (!store.ok()) return store.status();
    return std::unique_ptr<JournalStore>(*std::move(store));
  }
  return absl::InvalidArgumentError(
      absl::StrCat("store '", url.substr(0, 64),
                   "' names no store qcalld knows; use sqlite:PATH or "
                   "postgresql://..."));
}

}  // namespace qcall
