// qcalld: the qcall server. See README.md for a first session.
#include <sys/resource.h>
#include <sys/stat.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <thread>

#include "CLI/CLI.hpp"
#include "absl/strings/match.h"
#include "absl/synchronization/mutex.h"
#include "dispatcher/clock.h"
#include "dispatcher/journal_chain.h"
#include "dispatcher/journal_store.h"
#include "dispatcher/log_limiter.h"
#include "dispatcher/private_cipher.h"
#include "dispatcher/server.h"
#include "spdlog/spdlog.h"

namespace {

// The pages of an installed qcalld sit beside it (/usr/bin/qcalld,
// /usr/share/qcall/web); a build tree's qcalld serves them from the source.
std::string DefaultWebRoot() {
  std::error_code error;
  const std::filesystem::path exe =
      std::filesystem::read_symlink("/proc/self/exe", error);
  if (!error) {
    const std::filesystem::path installed =
        exe.parent_path().parent_path() / "share" / "qcall" / "web";
    if (std::filesystem::is_directory(installed, error)) {
      return installed.string();
    }
  }
  return QCALL_WEB_ROOT;
}

}  // namespace

int main(int argc, char** argv) {
  // The journal holds customers' phone numbers: its folder and files are
  // qcalld's alone (0700, 0600), whoever starts it.
  umask(077);
  // A client's bad bytes must not write a log line each.
  qcall::RouteProtobufLogs(qcall::RealClock::Get());
  qcall::RouteGrpcLogs(qcall::RealClock::Get());
  CLI::App app{"qcalld: queue-ticketing and counter-dispatch server"};
  app.set_version_flag("--version", "qcalld " QCALL_VERSION);
  std::string config_path = "demo/halls.textproto";
  qcall::ServerOptions options;
  int64_t snapshot_every = static_cast<int64_t>(options.runtime.snapshot_every);
  int64_t heartbeat_seconds = 30;
  std::string port_file;
  app.add_option("--config", config_path, "halls and tokens (textproto)")
      ->capture_default_str();
  std::string data_dir = "data";
  app.add_option("--data", data_dir,
                 "folder of the journal: the same as --store "
                 "sqlite:DIR/journal.sqlite")
      ->capture_default_str();
  std::string store;
  app.add_option("--store", store,
                 "where the journal lives: sqlite:PATH, or a PostgreSQL "
                 "database, postgresql://USER@HOST:PORT/DB (the journal, "
                 "snapshots, record tables and private data, as sqlite: "
                 "keeps them); a primary and its standby as "
                 "postgresql://USER@H1:P1,H2:P2/DB?target_session_attrs="
                 "read-write, so that writes follow a promoted standby; "
                 "overrides --data");
  bool init_store = false;
  app.add_flag("--init-store", init_store,
               "make the new, empty journal of --data/--store (checking "
               "--config when given) and exit: once, at installation. "
               "Refused where a journal already is; where one was lost, "
               "numbers restart at 1 (a WARNING says so). A start without "
               "a journal is refused");
  std::string journal_key_file;
  app.add_option("--journal-key-file", journal_key_file,
                 "a secret of 16 to 64 bytes, kept apart from the data "
                 "folder: the journal's hash chain becomes a keyed MAC that "
                 "only its holder can forge (qcall audit verify needs it too)");
  std::string private_key_file;
  app.add_option("--private-key-file", private_key_file,
                 "32 secret bytes (mode 0600), kept outside the data folder: "
                 "the master key that wraps each day's key of customers' "
                 "private data (phones). Without it the server keeps none and "
                 "refuses a ticket with a phone");
  app.add_option("--private-data-days", options.runtime.private_data_days,
                 "days a customer's private data is kept after its business "
                 "day before its key is destroyed and its rows deleted (a "
                 "hall's private_data_days overrides it)")
      ->capture_default_str()
      ->check(CLI::Range(1, 3660));
  app.add_flag("--accept-journal-damage", options.accept_journal_damage,
               "start although the journal's write-ahead log is damaged "
               "(the transactions from the damage on are lost; an ERROR "
               "says where)");
  app.add_option("--listen", options.listen, "gRPC address")
      ->capture_default_str();
  app.add_option("--threads", options.threads, "hall executor threads")
      ->capture_default_str();
  app.add_option("--node-name", options.node_name,
                 "with a shared store (PostgreSQL): this node's name, unique "
                 "among the nodes (default: the gRPC address it advertises)");
  app.add_option("--advertise-grpc", options.advertise_grpc,
                 "with a shared store: host:port clients dial for this node's "
                 "gRPC side when another node sends them here (default: "
                 "--listen's, the host name for a wildcard address)");
  app.add_option("--advertise-http", options.advertise_http,
                 "with a shared store: base URL of this node's HTTP side, "
                 "e.g. http://10.0.0.7:8080 (default: from --http)");
  app.add_option("--http", options.http_listen,
                 "host:port of the web pages, JSON API, /healthz and /metrics "
                 "(empty: off)")
      ->capture_default_str();
  options.web_root = DefaultWebRoot();
  app.add_option("--web", options.web_root, "folder of the web pages")
      ->capture_default_str();
  app.add_option("--max-streams", options.max_streams,
                 "Watch streams served at once")
      ->capture_default_str();
  app.add_option("--watch-queue-bytes", options.runtime.stream_queue_bytes,
                 "bytes of events a Watch stream may hold waiting for its "
                 "reader; one further behind is ended with "
                 "RESOURCE_EXHAUSTED and resumes from its last event")
      ->capture_default_str()
      ->check(CLI::Range(size_t{1024}, size_t{64} << 20));
  double watch_stall_seconds = 10;
  app.add_option("--watch-stall-seconds", watch_stall_seconds,
                 "seconds a Watch stream's write may wait for a reader that "
                 "does not read before the stream is ended with "
                 "RESOURCE_EXHAUSTED (0: never); the HTTP side's event "
                 "streams are closed the same way")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  app.add_option("--http-max-connections", options.max_http_connections,
                 "HTTP connections held at once; one more takes the place of "
                 "the one idle longest, or is answered 503 when none is idle")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  app.add_option("--http-max-connections-per-client",
                 options.max_http_connections_per_client,
                 "HTTP connections held at once from one client address "
                 "(IPv6: one /64); one more is answered 503")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  double http_head_timeout = 10;
  app.add_option("--http-head-timeout", http_head_timeout,
                 "seconds for an HTTP request's line and headers to arrive, "
                 "from the connection's start or the previous answer's end; "
                 "a connection that misses it is closed")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  double grpc_handshake_timeout = 10;
  app.add_option("--grpc-handshake-timeout", grpc_handshake_timeout,
                 "seconds for a gRPC connection's handshake (TLS, HTTP/2 "
                 "preface and settings); a connection that misses it is "
                 "closed")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  app.add_option("--kiosk-issues-per-minute", options.kiosk_issues_per_minute,
                 "tickets a kiosk token may issue a minute, unless its "
                 "config sets issues_per_minute (0: no limit)")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  app.add_option("--public-url", options.public_url,
                 "where customers reach the pages, e.g. https://q.example.cn: "
                 "the QR code on tickets points there (a hall's public_url "
                 "in --config wins)");
  app.add_option("--tls-cert", options.tls_cert_path,
                 "PEM certificate chain (the server's first): gRPC and HTTP "
                 "then speak TLS only. A relative path is taken from "
                 "$CREDENTIALS_DIRECTORY when systemd sets it "
                 "(LoadCredential=)");
  app.add_option("--tls-key", options.tls_key_path,
                 "PEM private key of --tls-cert (read like it)");
  app.add_option(
         "--snapshot-every", snapshot_every,
         "commands between snapshots of a hall (at least as many as the "
         "hall holds tickets)")
      ->capture_default_str();
  app.add_option("--heartbeat-timeout", heartbeat_seconds,
                 "seconds without a counter heartbeat before its window is "
                 "lost")
      ->capture_default_str();
  app.add_option("--port-file", port_file,
                 "once listening, write the gRPC port and the HTTP port "
                 "here, a line each (for tests that listen on port 0)");
  CLI11_PARSE(app, argc, argv);
  options.store =
      store.empty() ? "sqlite:" + data_dir + "/journal.sqlite" : store;
  if (!journal_key_file.empty()) {
    absl::StatusOr<std::string> key = qcall::ReadJournalKey(journal_key_file);
    if (!key.ok()) {
      spdlog::error("{}", key.status().ToString());
      return 2;
    }
    options.journal_key = *std::move(key);
  }
  if (init_store) {
    if (app.count("--config") > 0) {
      absl::StatusOr<qcall::v1::ServerConfig> config =
          qcall::LoadServerConfig(config_path);
      if (!config.ok()) {
        spdlog::error("{}", config.status().ToString());
        return 2;
      }
    }
    absl::StatusOr<std::unique_ptr<qcall::JournalStore>> made =
        qcall::OpenJournalStore(options.store,
                                {.create = true,
                                 .chain_key = options.journal_key,
                                 .accept_damage = false});
    if (!made.ok()) {
      spdlog::error("qcalld --init-store: {}", made.status().ToString());
      return 1;
    }
    made->reset();
    std::printf(
        "qcalld: made a new, empty journal at %s. Start qcalld with the same "
        "--data (or --store) to serve it; from now on a start without this "
        "journal is refused.\n",
        options.store.c_str());
    return 0;
  }
  // Under systemd the TLS certificate and key, and the private data's key,
  // arrive as credentials, readable by qcalld's dynamic user only.
  if (const char* credentials = std::getenv("CREDENTIALS_DIRECTORY");
      credentials != nullptr && *credentials != '\0') {
    for (std::string* path :
         {&options.tls_cert_path, &options.tls_key_path, &private_key_file}) {
      if (!path->empty() && !std::filesystem::path(*path).is_absolute()) {
        *path = (std::filesystem::path(credentials) / *path).string();
      }
    }
  }
  if (!private_key_file.empty()) {
    // A key in the folder it protects goes wherever the data goes (a
    // backup, a copied disk), and protects nothing.
    const std::filesystem::path store_path(
        absl::StartsWith(options.store, "sqlite:")
            ? options.store.substr(std::string("sqlite:").size())
            : std::string());
    std::error_code error;
    const std::filesystem::path key_dir =
        std::filesystem::weakly_canonical(
            std::filesystem::absolute(private_key_file, error), error)
            .parent_path();
    const std::filesystem::path data_dir_path =
        store_path.empty()
            ? std::filesystem::path()
            : std::filesystem::weakly_canonical(
                  std::filesystem::absolute(store_path, error).parent_path(),
                  error);
    if (!data_dir_path.empty() &&
        std::mismatch(data_dir_path.begin(), data_dir_path.end(),
                      key_dir.begin(), key_dir.end())
                .first == data_dir_path.end()) {
      spdlog::error(
          "--private-key-file {} lies in the data folder {}: keep the key "
          "apart from the data it protects",
          private_key_file, data_dir_path.string());
      return 2;
    }
    absl::StatusOr<qcall::PrivateCipher> cipher =
        qcall::PrivateCipher::FromKeyFile(private_key_file);
    if (!cipher.ok()) {
      spdlog::error("{}", cipher.status().ToString());
      return 2;
    }
    options.private_cipher =
        std::make_shared<const qcall::PrivateCipher>(*std::move(cipher));
  }
  options.runtime.snapshot_every =
      static_cast<uint64_t>(std::max<int64_t>(1, snapshot_every));
  options.runtime.heartbeat_timeout = absl::Seconds(heartbeat_seconds);
  options.runtime.stream_stall_timeout = absl::Seconds(watch_stall_seconds);
  options.http_head_timeout =
      std::max(std::chrono::milliseconds(1),
               std::chrono::milliseconds(
                   static_cast<int64_t>(http_head_timeout * 1000)));
  options.grpc_handshake_timeout =
      std::max(std::chrono::milliseconds(1),
               std::chrono::milliseconds(
                   static_cast<int64_t>(grpc_handshake_timeout * 1000)));

#ifdef NDEBUG
  // Debian's Abseil checks every mutex for deadlock cycles; gRPC pays for it
  // on each lock (27k -> 34-43k echo QPS when off). Debug builds keep it.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
#endif

  // Every HTTP and gRPC connection holds a file descriptor, and the
  // usual soft limit (1,024) is below what --http-max-connections alone may
  // hold; take what the hard limit allows.
  if (rlimit files{}; getrlimit(RLIMIT_NOFILE, &files) == 0 &&
                      files.rlim_cur < files.rlim_max) {
    files.rlim_cur = files.rlim_max;
    setrlimit(RLIMIT_NOFILE, &files);
  }

  // Signals are taken by one thread with sigwait, so shutdown runs normally.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  absl::StatusOr<qcall::v1::ServerConfig> config =
      qcall::LoadServerConfig(config_path);
  if (!config.ok()) {
    spdlog::error("{}", config.status().ToString());
    return 2;
  }
  absl::StatusOr<std::unique_ptr<qcall::QcallServer>> server =
      qcall::QcallServer::Start(*config, options);
  if (!server.ok()) {
    spdlog::error("{}", server.status().ToString());
    return 1;
  }
  if (!port_file.empty()) {
    std::ofstream(port_file + ".tmp") << (*server)->port() << "\n"
                                      << (*server)->http_port() << "\n";
    std::filesystem::rename(port_file + ".tmp", port_file);
  }
  std::thread waiter([&] {
    int signal = 0;
    sigwait(&signals, &signal);
    spdlog::info("qcalld: signal {}, shutting down", signal);
    (*server)->Shutdown();
  });
  (*server)->Wait();
  waiter.join();
  return 0;
}
