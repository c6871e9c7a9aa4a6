#include "dispatcher/sqlite_open.h"

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace qcall {

absl::StatusOr<sqlite3*> OpenSqlite(const std::string& path, int flags,
                                    absl::string_view what) {
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(path.c_str(), &db, flags | SQLITE_OPEN_NOMUTEX,
                      nullptr) != SQLITE_OK) {
    // SQLite hands back a handle even when it fails, except when it has no
    // memory for one; the handle holds the reason and must be closed.
    const std::string message = db ? sqlite3_errmsg(db) : "out of memory";
    sqlite3_close(db);
    return absl::UnavailableError(
        absl::StrCat("cannot open ", what, " ", path, ": ", message));
  }
  return db;
}

}  // namespace qcall
