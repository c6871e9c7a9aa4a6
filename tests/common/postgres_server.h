// PostgresServer runs a real PostgreSQL for tests, from Debian's server
// binaries (/usr/lib/postgresql/<version>/bin; scripts/install-deps
// installs postgresql-15): initdb in a fresh temp folder, then the server on
// a free loopback port with its socket in that folder. No system service and
// no other user's cluster are touched. As root (where initdb refuses to run)
// it runs as the `postgres` user. fsync is off: the tests kill qcalld, never
// the machine.
//
//   absl::StatusOr<std::string> url = NewPostgresDatabase();  // Empty.
//   if (absl::IsNotFound(url.status())) GTEST_SKIP() << url.status().message();
//   ASSERT_TRUE(url.ok()) << url.status();
//   ... OpenJournalStore(*url, {.create = true}) ...
//
// The server dies with the process that started it, even one that crashed:
// a guardian child stops it when its parent's thread ends.
#ifndef QCALL_TESTS_COMMON_POSTGRES_SERVER_H_
#define QCALL_TESTS_COMMON_POSTGRES_SERVER_H_

#include <sys/types.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace qcall::testing {

class PostgresServer {
 public:
  // The folder of the server binaries (postgres, initdb): $QCALL_PG_BIN, or
  // the newest /usr/lib/postgresql/<version>/bin; NOT_FOUND when none.
  static absl::StatusOr<std::string> BinDir();
  // initdb and start (about 2 s). NOT_FOUND without the binaries;
  // UNAVAILABLE (with the server's log) when it does not start.
  static absl::StatusOr<std::unique_ptr<PostgresServer>> Start();
  // Stops the server at once (immediate shutdown) and removes its folder.
  ~PostgresServer();
  PostgresServer(const PostgresServer&) = delete;
  PostgresServer& operator=(const PostgresServer&) = delete;

  int port() const { return port_; }
  // postgresql://postgres@127.0.0.1:PORT/DATABASE
  std::string Url(const std::string& database) const;
  // A new, empty database (qcall_1, qcall_2, ...); its URL.
  absl::StatusOr<std::string> NewDatabase();
  // Runs the test's own `sql` (no parameters) on the database of `url`:
  // the first column of the first row as text, "" when there is none.
  static absl::StatusOr<std::string> Query(const std::string& url,
                                           const std::string& sql);

 private:
  PostgresServer() = default;
  // Runs `args` (as the postgres user when root) and waits: its exit code.
  int Run(const std::vector<std::string>& args, const std::string& log) const;
  // Starts the postmaster on `port` and waits until it answers.
  absl::Status Serve(int port);

  std::string bin_;
  std::string dir_;
  int port_ = 0;
  pid_t postmaster_ = -1;
  pid_t guardian_ = -1;
  int databases_ = 0;
};

// One server for the whole test binary, started at its first use (initdb
// once) and stopped at exit. NOT_FOUND when the binaries are absent.
absl::StatusOr<PostgresServer*> SharedPostgres();
// A new, empty database of the shared server: its URL (NOT_FOUND as above).
absl::StatusOr<std::string> NewPostgresDatabase();

}  // namespace qcall::testing

#endif  // QCALL_TESTS_COMMON_POSTGRES_SERVER_H_
