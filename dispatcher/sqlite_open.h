// Opening a SQLite file, the one way qcall does it: with the connection
// not shared between threads (each owner guards its own), and a failure
// that names what was being opened.
//
//   ASSIGN_OR_RETURN(sqlite3* db,
//                    OpenSqlite(path, SQLITE_OPEN_READONLY, "journal"));
//   ...
//   sqlite3_close(db);
#ifndef QCALL_DISPATCHER_SQLITE_OPEN_H_
#define QCALL_DISPATCHER_SQLITE_OPEN_H_

#include <sqlite3.h>

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace qcall {

// Opens `path` with `flags` (SQLITE_OPEN_READONLY, or READWRITE with or
// without CREATE) and SQLITE_OPEN_NOMUTEX. The caller owns the handle and
// closes it. UNAVAILABLE, saying "cannot open <what> <path>: <why>", when
// SQLite cannot open it.
absl::StatusOr<sqlite3*> OpenSqlite(const std::string& path, int flags,
                                    absl::string_view what);

}  // namespace qcall

#endif  // QCALL_DISPATCHER_SQLITE_OPEN_H_
