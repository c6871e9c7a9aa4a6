// QcallServer assembles qcalld: it recovers every hall from its snapshot and
// journal, starts the timers, and serves the four gRPC services with health
// checking and reflection.
//
//   ASSIGN_OR_RETURN(v1::ServerConfig config, LoadServerConfig(path));
//   ASSIGN_OR_RETURN(auto server, QcallServer::Start(config, options));
//   server->Wait();
#ifndef QCALL_DISPATCHER_SERVER_H_
#define QCALL_DISPATCHER_SERVER_H_

#include <grpcpp/grpcpp.h>

#include <boost/asio/thread_pool.hpp>
#include <chrono>
#include <map>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "dispatcher/auth.h"
#include "dispatcher/cluster_node.h"
#include "dispatcher/group_commit_journal.h"
#include "dispatcher/guide_pins.h"
#include "dispatcher/hall_locator.h"
#include "dispatcher/hall_runtime.h"
#include "dispatcher/health_service.h"
#include "dispatcher/http_gateway.h"
#include "dispatcher/http_server.h"
#include "dispatcher/issue_limiter.h"
#include "dispatcher/journal_store.h"
#include "dispatcher/private_cipher.h"
#include "dispatcher/services.h"
#include "dispatcher/speech.h"
#include "qcall/v1/server_config.pb.h"

namespace qcall {

struct ServerOptions {
  // Where the journal lives, a URL for OpenJournalStore (journal_store.h).
  // Its journal must exist: a new one is made apart, once (qcalld
  // --init-store, OpenJournalStore with `create`).
  std::string store = "sqlite:data/journal.sqlite";
  // The journal's chain key (StoreOptions::chain_key); empty: unkeyed.
  std::string journal_key;
  // Start on a journal whose write-ahead log is damaged (StoreOptions).
  bool accept_journal_damage = false;
  // Encrypts customers' private data (--private-key-file); without it the
  // server keeps none and refuses phones (StoreOptions::private_cipher).
  std::shared_ptr<const PrivateCipher> private_cipher;
  std::string listen = "127.0.0.1:50051";
  std::string tls_cert_path;
  std::string tls_key_path;
  // host:port of the HTTP side (web pages, JSON, events, /healthz,
  // /metrics); empty turns HTTP off.
  std::string http_listen;
  // The folder of the web pages.
  std::string web_root = "clients/web";
  int threads = 2;
  // Largest request accepted, in bytes.
  int max_message_bytes = 1 << 20;
  // Watch streams the server holds at once; more get RESOURCE_EXHAUSTED.
  int64_t max_streams = 10'000;
  // HTTP connections held at once (pages, JSON calls, event streams).
  int max_http_connections = 1024;
  // Tickets a kiosk token issues a minute, unless its config says; 0: no
  // limit.
  int kiosk_issues_per_minute = 60;
  // Where customers reach the pages ("https://q.example.cn"), for the QR
  // code on tickets of halls whose config has no public_url of its own.
  std::string public_url;
  // HTTP connections held at once from one client address (IPv6: /64).
  int max_http_connections_per_client = 64;
  // Time for an HTTP request's head to arrive (from the connection's start
  // or the end of the previous answer); a late connection is closed.
  std::chrono::milliseconds http_head_timeout = std::chrono::seconds(10);
  // Time for a gRPC connection's handshake (TLS, and the client's HTTP/2
  // preface and settings); a connection that sends nothing is closed then
  // instead of after gRPC's default two minutes.
  std::chrono::milliseconds grpc_handshake_timeout = std::chrono::seconds(10);
  RuntimeOptions runtime;
  // Where nodes share the store (PostgreSQL): this node's name (default
  // host:port of --listen, the host name for a wildcard address), the
  // host:port clients dial for its gRPC side and the base URL of its HTTP
  // side (defaults from --listen and --http), as other nodes tell clients.
  std::string node_name;
  std::string advertise_grpc;
  std::string advertise_http;
  ClusterOptions cluster;
};

// Reads and checks a textproto ServerConfig: halls valid, hall ids and
// tokens unique, every token with a role, a name and halls.
absl::StatusOr<v1::ServerConfig> LoadServerConfig(const std::string& path);
// The same for the text of one; `origin` names it in the error.
absl::StatusOr<v1::ServerConfig> ParseServerConfig(absl::string_view text,
                                                   absl::string_view origin);
absl::Status ValidateServerConfig(const v1::ServerConfig& config);

class QcallServer : private HallHost {
 public:
  static absl::StatusOr<std::unique_ptr<QcallServer>> Start(
      const v1::ServerConfig& config, const ServerOptions& options);
  ~QcallServer() override;

  // The port the server listens on (useful with port 0).
  int port() const { return port_; }
  int http_port() const { return http_ ? http_->port() : 0; }
  // Prometheus text: commands, durability latency, queue lengths, streams,
  // journal batches and fsync time.
  std::string Metrics() const;
  void Wait();
  void Shutdown();

 private:
  QcallServer() = default;

  // HallHost, for the cluster (several nodes on one store).
  absl::flat_hash_set<std::string> ServedHalls() override;
  absl::Status Serve(const std::string& hall_id) override;
  void Leave(const std::string& hall_id, const OwnerAnswer& why) override;

  std::unique_ptr<JournalStore> store_;
  std::unique_ptr<GroupCommitJournal> journal_;
  std::unique_ptr<boost::asio::thread_pool> pool_;
  HallDirectory halls_;
  std::unique_ptr<Authenticator> auth_;
  std::unique_ptr<IssueLimiter> issue_limiter_;
  std::unique_ptr<GuidePins> guide_pins_;
  std::unique_ptr<KioskService> kiosk_;
  std::unique_ptr<CounterService> counter_;
  std::unique_ptr<DisplayService> display_;
  std::unique_ptr<SupervisorService> supervisor_;
  std::unique_ptr<EvaluatorService> evaluator_;
  std::unique_ptr<HealthService> health_;
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<SpeechCache> speech_;
  std::unique_ptr<HttpGateway> gateway_;
  std::unique_ptr<HttpServer> http_;
  // Where nodes share the store; null for a single node (SQLite).
  std::unique_ptr<ClusterNode> cluster_;
  // The --config file's halls, for a hall this node takes later.
  std::map<std::string, v1::HallConfig> configured_;
  RuntimeOptions runtime_options_;
  std::atomic<int64_t> open_streams_{0};
  int port_ = 0;
  bool shut_down_ = false;
};

}  // namespace qcall

#endif  // QCALL_DISPATCHER_SERVER_H_
