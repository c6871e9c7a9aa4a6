#include "tests/common/postgres_server.h"

#include <fcntl.h>
#include <libpq-fe.h>
#include <netinet/in.h>
#include <pwd.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"

namespace qcall::testing {
namespace {

bool Executable(const std::filesystem::path& file) {
  return ::access(file.c_str(), X_OK) == 0;
}

// A port no one listens on now (the server may still lose it to another
// process; Start then tries another).
int FreePort() {
  const int s = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t size = sizeof(address);
  int port = 0;
  if (::bind(s, reinterpret_cast<sockaddr*>(&address), size) == 0 &&
      ::getsockname(s, reinterpret_cast<sockaddr*>(&address), &size) == 0) {
    port = ntohs(address.sin_port);
  }
  ::close(s);
  return port;
}

std::string Tail(const std::string& path) {
  std::ifstream in(path);
  std::stringstream all;
  all << in.rdbuf();
  const std::string text = all.str();
  return text.size() > 2000 ? text.substr(text.size() - 2000) : text;
}

// Forks and execs `args` with its output in `log`; the child's pid.
pid_t Spawn(const std::vector<std::string>& args, const std::string& log) {
  std::vector<char*> argv;
  for (const std::string& a : args)
    argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  char lc_all[] = "LC_ALL=C";
  char path[] = "PATH=/usr/bin:/bin";
  char* env[] = {lc_all, path, nullptr};
  const int out = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0666);
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::dup2(out, STDOUT_FILENO);
    ::dup2(out, STDERR_FILENO);
    ::execve(argv[0], argv.data(), env);
    ::_exit(127);
  }
  ::close(out);
  return pid;
}

// PostgreSQL refuses to run as root: as root, `args` run as the postgres
// user (setpriv execs them, so the pid is theirs).
std::vector<std::string> AsServerUser(std::vector<std::string> args) {
  if (::geteuid() == 0) {
    args.insert(args.begin(), {"/usr/bin/setpriv", "--reuid=postgres",
                               "--regid=postgres", "--clear-groups", "--"});
  }
  return args;
}

}  // namespace

absl::StatusOr<std::string> PostgresServer::BinDir() {
  if (const char* given = std::getenv("QCALL_PG_BIN"); given && *given) {
    return std::string(given);
  }
  std::filesystem::path best;
  int best_version = 0;
  std::error_code error;
  for (const auto& entry :
       std::filesystem::directory_iterator("/usr/lib/postgresql", error)) {
    const int version = std::atoi(entry.path().filename().c_str());
    const std::filesystem::path bin = entry.path() / "bin";
    if (version > best_version && Executable(bin / "postgres") &&
        Executable(bin / "initdb")) {
      best = bin;
      best_version = version;
    }
  }
  if (best.empty()) {
    return absl::NotFoundError(
        "no PostgreSQL server binaries (/usr/lib/postgresql/*/bin/postgres): "
        "run scripts/install-deps, which installs postgresql-15");
  }
  return best.string();
}

int PostgresServer::Run(const std::vector<std::string>& args,
                        const std::string& log) const {
  const pid_t pid = Spawn(AsServerUser(args), log);
  int status = 0;
  if (pid < 0 || ::waitpid(pid, &status, 0) != pid) return -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

absl::StatusOr<std::unique_ptr<PostgresServer>> PostgresServer::Prepare() {
  absl::StatusOr<std::string> bin = BinDir();
  if (!bin.ok()) return bin.status();
  std::unique_ptr<PostgresServer> server(new PostgresServer());
  server->bin_ = *bin;
  std::string dir =
      (std::filesystem::temp_directory_path() / "qcall-pg-XXXXXX").string();
  if (::mkdtemp(dir.data()) == nullptr) {
    return absl::UnavailableError("cannot make a temp folder");
  }
  server->dir_ = dir;
  // PostgreSQL refuses to run as root: its files and processes are the
  // postgres user's then.
  if (::geteuid() == 0) {
    const passwd* user = ::getpwnam("postgres");
    if (user == nullptr) {
      return absl::NotFoundError(
          "running as root, and there is no postgres user to run PostgreSQL "
          "as (Debian's postgresql package makes it)");
    }
    if (::chown(dir.c_str(), user->pw_uid, user->pw_gid) != 0) {
      return absl::UnavailableError(absl::StrCat("cannot chown ", dir));
    }
  }
  return server;
}

absl::Status PostgresServer::ServeOnFreePort() {
  absl::Status served;
  for (int attempt = 0; attempt < 5; ++attempt) {
    served = Serve(FreePort());
    if (served.ok()) return served;
  }
  return served;
}

absl::StatusOr<std::unique_ptr<PostgresServer>> PostgresServer::Start(
    std::vector<std::string> settings) {
  absl::StatusOr<std::unique_ptr<PostgresServer>> server = Prepare();
  if (!server.ok()) return server.status();
  (*server)->settings_ = std::move(settings);
  const std::string dir = (*server)->dir_;
  const std::string log = dir + "/initdb.log";
  if ((*server)->Run(
          {(*server)->bin_ + "/initdb", "-D", dir + "/data", "-U", "postgres",
           "-A", "trust", "-E", "UTF8", "--locale=C", "--no-sync"},
          log) != 0) {
    return absl::UnavailableError(absl::StrCat("initdb failed: ", Tail(log)));
  }
  if (absl::Status served = (*server)->ServeOnFreePort(); !served.ok()) {
    return served;
  }
  return server;
}

absl::StatusOr<std::unique_ptr<PostgresServer>> PostgresServer::StartStandby(
    const PostgresServer& primary, const std::string& name) {
  absl::StatusOr<std::unique_ptr<PostgresServer>> server = Prepare();
  if (!server.ok()) return server.status();
  const std::string dir = (*server)->dir_;
  const std::string log = dir + "/basebackup.log";
  // -R writes standby.signal: the copy starts as a standby.
  if ((*server)->Run({(*server)->bin_ + "/pg_basebackup", "-h", "127.0.0.1",
                      "-p", std::to_string(primary.port()), "-U", "postgres",
                      "-D", dir + "/data", "-X", "stream", "-R",
                      "--checkpoint=fast", "--no-sync"},
                     log) != 0) {
    return absl::UnavailableError(
        absl::StrCat("pg_basebackup failed: ", Tail(log)));
  }
  // The name the primary's synchronous_standby_names knows it by. Not the
  // primary's settings: promoted, with no standby of its own, it would wait
  // for one at every commit.
  (*server)->settings_.push_back(
      absl::StrCat("primary_conninfo=host=127.0.0.1 port=", primary.port(),
                   " user=postgres application_name=", name));
  if (absl::Status served = (*server)->ServeOnFreePort(); !served.ok()) {
    return served;
  }
  return server;
}

void PostgresServer::Kill() {
  if (postmaster_ > 0) {
    ::kill(postmaster_, SIGQUIT);  // Immediate shutdown.
    ::waitpid(postmaster_, nullptr, 0);
  }
  if (guardian_ > 0) {
    ::kill(guardian_, SIGKILL);
    ::waitpid(guardian_, nullptr, 0);
  }
  postmaster_ = guardian_ = -1;
}

absl::Status PostgresServer::Restart() { return Serve(port_); }

absl::Status PostgresServer::Promote() {
  const std::string log = dir_ + "/promote.log";
  if (Run({bin_ + "/pg_ctl", "promote", "-D", dir_ + "/data", "-w", "-t", "30"},
          log) != 0) {
    return absl::UnavailableError(
        absl::StrCat("pg_ctl promote failed: ", Tail(log)));
  }
  return absl::OkStatus();
}

absl::Status PostgresServer::WaitUntilSynchronous(const std::string& name) {
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::seconds(30);
  absl::StatusOr<std::string> state;
  while (std::chrono::steady_clock::now() < deadline) {
    state = Query(Url("postgres"),
                  "SELECT sync_state FROM pg_stat_replication WHERE "
                  "application_name = '" +
                      name + "'");
    if (state.ok() && *state == "sync") return absl::OkStatus();
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return absl::UnavailableError(absl::StrCat(
      "standby ", name, " is not synchronous: ",
      state.ok() ? "'" + *state + "'" : state.status().ToString()));
}

absl::Status PostgresServer::Serve(int port) {
  const std::string log = dir_ + "/postgres.log";
  const std::vector<std::string> args = {bin_ + "/postgres",
                                         "-D",
                                         dir_ + "/data",
                                         "-p",
                                         std::to_string(port),
                                         "-k",
                                         dir_,
                                         "-c",
                                         "listen_addresses=127.0.0.1",
                                         "-c",
                                         "fsync=off",
                                         "-c",
                                         "full_page_writes=off",
                                         "-c",
                                         "max_connections=200"};
  std::vector<std::string> all = args;
  for (const std::string& setting : settings_) {
    all.push_back("-c");
    all.push_back(setting);
  }
  postmaster_ = Spawn(AsServerUser(all), log);
  if (postmaster_ < 0) return absl::UnavailableError("cannot fork");
  // The guardian: stops the server when the thread that started it ends,
  // a crash included (the server, another user's process, cannot be given
  // a parent-death signal itself).
  // After a crash it removes the folder too, once the server is gone.
  const pid_t parent = ::getpid();
  const pid_t postmaster = postmaster_;
  std::string rm = "/bin/rm", flags = "-rf";
  char* remove[] = {rm.data(), flags.data(), dir_.data(), nullptr};
  guardian_ = ::fork();
  if (guardian_ == 0) {
    sigset_t term;
    sigemptyset(&term);
    sigaddset(&term, SIGTERM);
    ::sigprocmask(SIG_BLOCK, &term, nullptr);
    ::prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (::getppid() == parent) {
      int signal = 0;
      ::sigwait(&term, &signal);
    }
    ::kill(postmaster, SIGQUIT);
    for (int i = 0; i < 500 && ::kill(postmaster, 0) == 0; ++i) {
      ::usleep(10000);
    }
    ::execv(remove[0], remove);
    ::_exit(0);
  }
  port_ = port;
  const std::string conninfo = absl::StrCat("host=127.0.0.1 port=", port,
                                            " user=postgres dbname=postgres");
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (std::chrono::steady_clock::now() < deadline) {
    if (PQping(conninfo.c_str()) == PQPING_OK) return absl::OkStatus();
    int status = 0;
    if (::waitpid(postmaster_, &status, WNOHANG) == postmaster_) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  Kill();
  return absl::UnavailableError(
      absl::StrCat("PostgreSQL did not start on port ", port, ": ", Tail(log)));
}

PostgresServer::~PostgresServer() {
  Kill();
  std::error_code error;
  if (!dir_.empty()) std::filesystem::remove_all(dir_, error);
}

std::string PostgresServer::Url(const std::string& database) const {
  return absl::StrCat("postgresql://postgres@127.0.0.1:", port_, "/", database);
}

absl::StatusOr<std::string> PostgresServer::NewDatabase() {
  const std::string name = absl::StrCat("qcall_", ++databases_);
  absl::StatusOr<std::string> made =
      Query(Url("postgres"), "CREATE DATABASE " + name);
  if (!made.ok()) return made.status();
  return Url(name);
}

absl::StatusOr<std::string> PostgresServer::Query(const std::string& url,
                                                  const std::string& sql) {
  PGconn* conn = PQconnectdb(url.c_str());
  if (PQstatus(conn) != CONNECTION_OK) {
    const std::string error = PQerrorMessage(conn);
    PQfinish(conn);
    return absl::UnavailableError(absl::StrCat("cannot connect: ", error));
  }
  PGresult* r = PQexec(conn, sql.c_str());
  absl::StatusOr<std::string> out;
  if (PQresultStatus(r) == PGRES_TUPLES_OK) {
    out = PQntuples(r) > 0 ? std::string(PQgetvalue(r, 0, 0)) : std::string();
  } else if (PQresultStatus(r) == PGRES_COMMAND_OK) {
    out = std::string();
  } else {
    out = absl::UnavailableError(
        absl::StrCat(sql, ": ", PQresultErrorMessage(r)));
  }
  PQclear(r);
  PQfinish(conn);
  return out;
}

absl::StatusOr<PostgresServer*> SharedPostgres() {
  static absl::StatusOr<std::unique_ptr<PostgresServer>>* const server =
      new absl::StatusOr<std::unique_ptr<PostgresServer>>(
          PostgresServer::Start());
  if (!server->ok()) return server->status();
  // Stopped at exit; the guardian stops it should exit never come.
  static const bool registered = [] {
    std::atexit([] { server->value().reset(); });
    return true;
  }();
  (void)registered;
  return server->value().get();
}

absl::StatusOr<std::string> NewPostgresDatabase() {
  absl::StatusOr<PostgresServer*> server = SharedPostgres();
  if (!server.ok()) return server.status();
  return (*server)->NewDatabase();
}

absl::StatusOr<std::string> ReplicatedPostgres::NewDatabase() {
  absl::StatusOr<std::string> made = primary->NewDatabase();
  if (!made.ok()) return made.status();
  const std::string name = made->substr(made->rfind('/') + 1);
  return absl::StrCat("postgresql://postgres@127.0.0.1:", primary->port(),
                      ",127.0.0.1:", standby->port(), "/", name,
                      "?target_session_attrs=read-write");
}

absl::StatusOr<ReplicatedPostgres> StartReplicated() {
  constexpr char kStandby[] = "standby1";
  ReplicatedPostgres pair;
  absl::StatusOr<std::unique_ptr<PostgresServer>> primary =
      PostgresServer::Start(
          {"synchronous_commit=on",
           absl::StrCat("synchronous_standby_names=", kStandby)});
  if (!primary.ok()) return primary.status();
  pair.primary = *std::move(primary);
  absl::StatusOr<std::unique_ptr<PostgresServer>> standby =
      PostgresServer::StartStandby(*pair.primary, kStandby);
  if (!standby.ok()) return standby.status();
  pair.standby = *std::move(standby);
  if (absl::Status sync = pair.primary->WaitUntilSynchronous(kStandby);
      !sync.ok()) {
    return sync;
  }
  return pair;
}

}  // namespace qcall::testing
