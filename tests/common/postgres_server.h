// PostgresServer runs a real PostgreSQL for tests, from Debian's server
// binaries (/usr/lib/postgresql/<version>/bin; scripts/install-deps
// installs postgresql-15): initdb in a fresh temp folder, then the server on
// a free loopback port with its socket in that folder. No system service and
// no other user's cluster are touched. As root (where initdb refuses to run)
// it runs as the `postgres` user. fsync is off: the tests kill processes
// (qcalld, a postmaster and its sessions), never the machine, and what a
// killed process wrote stays in the kernel's page cache for the next one to
// read; fsync only matters when the kernel dies too.
//
// A primary with a synchronous standby (StartReplicated): the standby is
// made by pg_basebackup and streams the primary's WAL; the primary's
// synchronous_standby_names names it and synchronous_commit is on, so a
// commit returns only once the standby has the commit's WAL (received and
// written: what survives the primary's death). Kill() the primary (an
// immediate shutdown: every session cut, no checkpoint, as a dead machine
// leaves it) and Promote() the standby.
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
  // `settings`: more -c NAME=VALUE of the server.
  static absl::StatusOr<std::unique_ptr<PostgresServer>> Start(
      std::vector<std::string> settings = {});
  // A standby of `primary` (pg_basebackup, then streaming replication),
  // known to it as `name` (its application_name); read only until Promote.
  static absl::StatusOr<std::unique_ptr<PostgresServer>> StartStandby(
      const PostgresServer& primary, const std::string& name);
  // Stops the server at once (immediate shutdown) and removes its folder.
  ~PostgresServer();
  PostgresServer(const PostgresServer&) = delete;
  PostgresServer& operator=(const PostgresServer&) = delete;

  int port() const { return port_; }
  // Stops the server at once (immediate shutdown), keeping its folder;
  // Restart serves it again on the same port. (Until then a crash of the
  // test leaves the folder behind: its guardian went with the server.)
  void Kill();
  absl::Status Restart();
  // A standby becomes a primary (pg_ctl promote, waiting until it takes
  // writes).
  absl::Status Promote();
  // Waits until the standby `name` streams and is synchronous.
  absl::Status WaitUntilSynchronous(const std::string& name);
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

  // A fresh temp folder for the server (chowned to postgres when root).
  static absl::StatusOr<std::unique_ptr<PostgresServer>> Prepare();
  // Serve on a free port, trying a few.
  absl::Status ServeOnFreePort();

  std::string bin_;
  std::string dir_;
  std::vector<std::string> settings_;
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

// A primary and its synchronous standby, "standby1".
struct ReplicatedPostgres {
  std::unique_ptr<PostgresServer> primary;
  std::unique_ptr<PostgresServer> standby;
  // A new database (made on the primary, streamed to the standby): the
  // multi-host URL that finds whichever of the two takes writes,
  // postgresql://postgres@127.0.0.1:P1,127.0.0.1:P2/DB?target_session_attrs=read-write
  absl::StatusOr<std::string> NewDatabase();
};
// Both started, the standby synchronous (about 3 s). NOT_FOUND without the
// binaries.
absl::StatusOr<ReplicatedPostgres> StartReplicated();

}  // namespace qcall::testing

#endif  // QCALL_TESTS_COMMON_POSTGRES_SERVER_H_
