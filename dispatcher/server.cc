#include "dispatcher/server.h"

#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <unistd.h>

#include <boost/asio/post.hpp>
#include <boost/asio/ssl/context.hpp>
#include <chrono>
#include <fstream>
#include <functional>
#include <future>
#include <optional>
#include <random>
#include <sstream>
#include <thread>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "dispatcher/hall_ownership.h"
#include "dispatcher/journal_store.h"
#include "dispatcher/records_rebuild.h"
#include "dispatcher/recovery.h"
#include "dispatcher/tls.h"
#include "dispatcher/token_hash.h"
#include "engine/hall_rules.h"
#include "engine/status_macros.h"
#include "google/protobuf/io/tokenizer.h"
#include "google/protobuf/text_format.h"
#include "google/protobuf/util/message_differencer.h"
#include "prometheus/client_metric.h"
#include "prometheus/metric_family.h"
#include "prometheus/text_serializer.h"
#include "spdlog/spdlog.h"

namespace qcall {
namespace {

// 128 random bits as hex.
std::string RandomToken() {
  std::random_device random;
  std::string token;
  for (int i = 0; i < 4; ++i) {
    absl::StrAppend(&token, absl::Hex(random(), absl::kZeroPad8));
  }
  return token;
}

absl::StatusOr<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read ", path));
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// One sample of a counter or gauge family.
prometheus::ClientMetric Sample(
    prometheus::MetricType type, double value,
    std::vector<prometheus::ClientMetric::Label> labels) {
  prometheus::ClientMetric metric;
  metric.label = std::move(labels);
  if (type == prometheus::MetricType::Counter) {
    metric.counter.value = value;
  } else {
    metric.gauge.value = value;
  }
  return metric;
}

// How other nodes tell clients to reach this one: the options' names, or
// defaults from the addresses it listens on.
NodeAddress NodeAddressOf(const ServerOptions& options, int grpc_port,
                          int http_port, bool tls) {
  auto host_of = [](const std::string& listen) {
    std::string host = listen.substr(0, listen.rfind(':'));
    if (host.empty() || host == "0.0.0.0" || host == "[::]" || host == "::") {
      char name[256] = "";
      ::gethostname(name, sizeof(name) - 1);
      host = name;
    }
    return host;
  };
  NodeAddress self;
  self.grpc = options.advertise_grpc.empty()
                  ? absl::StrCat(host_of(options.listen), ":", grpc_port)
                  : options.advertise_grpc;
  self.node = options.node_name.empty() ? self.grpc : options.node_name;
  if (!options.advertise_http.empty()) {
    self.http = std::string(absl::StripSuffix(options.advertise_http, "/"));
  } else if (http_port != 0) {
    self.http = absl::StrCat(tls ? "https://" : "http://",
                             host_of(options.http_listen), ":", http_port);
  }
  return self;
}

}  // namespace

namespace {

// Where the i-th hall or token of a config file begins, "PATH:LINE: ", for
// messages; "" for a config that comes from no file.
struct ConfigPlaces {
  std::function<std::string(int)> hall = [](int) { return std::string(); };
  std::function<std::string(int)> token = [](int) { return std::string(); };
};

absl::Status ValidateToken(const v1::TokenConfig& token) {
  const std::string who = token.name().empty()
                              ? std::string("token")
                              : absl::StrCat("token '", token.name(), "'");
  if (token.name().empty()) {
    return absl::InvalidArgumentError("every token needs a name");
  }
  if (!token.token().empty() && !token.token_sha256().empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        who, " gives both token and token_sha256; keep token_sha256 only"));
  }
  if (token.token().empty() && token.token_sha256().empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        who, " needs token_sha256 (qcall admin hash-token prints it)"));
  }
  if (!token.token_sha256().empty()) {
    if (absl::Status hex = Sha256FromHex(token.token_sha256()).status();
        !hex.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat(who, ": token_sha256 is not a SHA-256: ", hex.message(),
                       " (qcall admin hash-token prints the line to use)"));
    }
  } else if (token.token().size() < 8) {
    return absl::InvalidArgumentError(absl::StrCat(
        "token of '", token.name(), "' must be at least 8 characters"));
  }
  if (token.role() == v1::ROLE_UNSPECIFIED || !v1::Role_IsValid(token.role())) {
    return absl::InvalidArgumentError(absl::StrCat(who, " needs a role"));
  }
  if (token.halls().empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(who, " names no hall (use \"*\" for all)"));
  }
  if (token.role() == v1::ROLE_EVALUATOR &&
      (token.halls_size() != 1 || token.halls(0) == "*" ||
       token.windows_size() != 1 || token.windows(0) <= 0)) {
    return absl::InvalidArgumentError(absl::StrCat(
        who,
        ": an evaluator pad's token names exactly one hall (not \"*\") "
        "and exactly one window, the one it faces"));
  }
  if (token.has_issues_per_minute() &&
      (token.role() != v1::ROLE_KIOSK || token.issues_per_minute() < 0)) {
    return absl::InvalidArgumentError(absl::StrCat(
        who, ": issues_per_minute is for kiosk tokens, 0 (no limit) or more"));
  }
  return absl::OkStatus();
}

absl::Status ValidateServerConfig(const v1::ServerConfig& config,
                                  const ConfigPlaces& places) {
  absl::flat_hash_set<std::string> hall_ids;
  for (int i = 0; i < config.halls_size(); ++i) {
    const v1::HallConfig& hall = config.halls(i);
    absl::StatusOr<HallRules> rules = HallRules::FromConfig(hall);
    if (!rules.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat(places.hall(i), "hall '", hall.hall_id(),
                       "': ", rules.status().message()));
    }
    if (!hall_ids.insert(hall.hall_id()).second) {
      return absl::InvalidArgumentError(absl::StrCat(
          places.hall(i), "hall '", hall.hall_id(), "' appears twice"));
    }
  }
  // By hash: a token given plain once and hashed once is the same token.
  absl::flat_hash_set<std::string> digests;
  for (int i = 0; i < config.tokens_size(); ++i) {
    const v1::TokenConfig& token = config.tokens(i);
    if (absl::Status valid = ValidateToken(token); !valid.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat(places.token(i), valid.message()));
    }
    const std::string digest = token.token_sha256().empty()
                                   ? TokenSha256(token.token())
                                   : *Sha256FromHex(token.token_sha256());
    if (!digests.insert(digest).second) {
      return absl::InvalidArgumentError(absl::StrCat(
          places.token(i), "token of '", token.name(), "' is not unique"));
    }
  }
  // Each guide PIN is a well-formed hash, one per hall.
  RETURN_IF_ERROR(GuidePins::Create(config, nullptr).status());
  return absl::OkStatus();
}

// The first error of a textproto parse, with its line.
class FirstParseError : public google::protobuf::io::ErrorCollector {
 public:
  void AddError(int line, int column, const std::string& message) override {
    if (error_.empty()) {
      error_ = absl::StrCat(line + 1, ":", column + 1, ": ", message);
    }
  }
  const std::string& error() const { return error_; }

 private:
  std::string error_;
};

}  // namespace

absl::Status ValidateServerConfig(const v1::ServerConfig& config) {
  return ValidateServerConfig(config, ConfigPlaces());
}

absl::StatusOr<v1::ServerConfig> ParseServerConfig(absl::string_view text,
                                                   absl::string_view origin) {
  const std::string path(origin);
  v1::ServerConfig config;
  google::protobuf::TextFormat::Parser parser;
  google::protobuf::TextFormat::ParseInfoTree tree;
  FirstParseError error;
  parser.WriteLocationsTo(&tree);
  parser.RecordErrorsTo(&error);
  if (!parser.ParseFromString(std::string(text), &config)) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ":", error.error(),
                     " (not a valid qcall.v1.ServerConfig textproto)"));
  }
  const google::protobuf::Descriptor* descriptor = config.GetDescriptor();
  auto place = [&](const char* field) {
    return [&tree, &path, f = descriptor->FindFieldByName(field)](int i) {
      const google::protobuf::TextFormat::ParseLocation at =
          tree.GetLocation(f, i);
      return at.line < 0 ? absl::StrCat(path, ": ")
                         : absl::StrCat(path, ":", at.line + 1, ": ");
    };
  };
  RETURN_IF_ERROR(ValidateServerConfig(
      config, ConfigPlaces{.hall = place("halls"), .token = place("tokens")}));
  return config;
}

absl::StatusOr<v1::ServerConfig> LoadServerConfig(const std::string& path) {
  ASSIGN_OR_RETURN(const std::string text, ReadFile(path));
  return ParseServerConfig(text, path);
}

absl::StatusOr<std::unique_ptr<QcallServer>> QcallServer::Start(
    const v1::ServerConfig& config, const ServerOptions& options) {
  RETURN_IF_ERROR(ValidateServerConfig(config));
  if (absl::Status url = CheckPublicUrl(options.public_url); !url.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("--public-url: ", url.message()));
  }
  if (!options.http_listen.empty() && options.public_url.empty()) {
    for (const v1::HallConfig& hall : config.halls()) {
      if (!hall.public_url().empty()) continue;
      spdlog::warn(
          "hall {}: no public_url in its config and no --public-url: the QR "
          "code on its tickets points at the address each kiosk uses, which "
          "a customer's phone may not reach",
          hall.hall_id());
    }
  }
  if (config.demo()) {
    spdlog::warn(
        "qcalld: a demo config (demo: true): its tokens are published with "
        "qcall's sources; never serve a real hall with it");
  } else {
    for (const v1::TokenConfig& token : config.tokens()) {
      if (token.token().empty()) continue;
      spdlog::warn(
          "token '{}' is in the config in plain text: whoever reads the file "
          "can use it; store its hash instead (token_sha256, which `qcall "
          "admin hash-token` prints)",
          token.name());
    }
  }
  const auto start = std::chrono::steady_clock::now();
  std::unique_ptr<QcallServer> server(new QcallServer());
  ASSIGN_OR_RETURN(server->guide_pins_,
                   GuidePins::Create(config, options.runtime.clock));
  for (const v1::HallConfig& hall : config.halls()) {
    if (server->guide_pins_->Required(hall.hall_id())) continue;
    spdlog::warn(
        "hall {}: no guide PIN (guide_pins in the config): anyone at its "
        "kiosks can mark themselves green channel, VIP or urgent",
        hall.hall_id());
  }
  char host[256] = "";
  ::gethostname(host, sizeof(host) - 1);
  ASSIGN_OR_RETURN(
      server->store_,
      OpenJournalStore(options.store,
                       {.chain_key = options.journal_key,
                        .accept_damage = options.accept_journal_damage,
                        .private_cipher = options.private_cipher,
                        .node_name = absl::StrCat(host, ":", ::getpid())}));
  server->journal_ = std::make_unique<GroupCommitJournal>(server->store_.get());
  server->pool_ = std::make_unique<boost::asio::thread_pool>(options.threads);
  if (server->store_->records_missing()) {
    // A journal from before the record tables: they are built from it,
    // once, before any hall runs.
    RETURN_IF_ERROR(RebuildAllRecords(server->store_.get(), config));
  }

  uint64_t replayed = 0;
  // Halls whose journal must take the --config file's configuration: new
  // ones, and ones whose entry in the file changed since they last ran.
  std::vector<const v1::HallConfig*> from_file;
  auto add = [&](std::unique_ptr<HallRuntime> runtime) -> absl::Status {
    const std::string id = runtime->hall_id();
    return server->halls_.AddIfAbsent(id, [&] { return std::move(runtime); })
        .status();
  };
  server->runtime_options_ = options.runtime;
  for (const v1::HallConfig& hall_config : config.halls()) {
    server->configured_[hall_config.hall_id()] = hall_config;
  }
  // Where nodes share the store, each hall is served by the node it is
  // placed at (cluster_node.h), which takes it first (a new epoch: a node
  // that held it before can write to it no more) and recovers it then; this
  // node joins once it listens, so other nodes can name its address.
  ClusterStore* const cluster = server->store_->cluster();
  if (cluster != nullptr) {
    ClusterOptions cluster_options = options.cluster;
    for (const v1::HallConfig& hall_config : config.halls()) {
      cluster_options.configured_halls.push_back(hall_config.hall_id());
    }
    server->cluster_ = std::make_unique<ClusterNode>(
        cluster, server->store_->ownership(),
        static_cast<HallHost*>(server.get()), std::move(cluster_options));
  }
  for (const v1::HallConfig& hall_config : config.halls()) {
    if (cluster != nullptr) break;
    ASSIGN_OR_RETURN(
        RecoveredHall hall,
        RecoverHall(hall_config.hall_id(), &hall_config, server->store_.get(),
                    server->journal_.get(), server->pool_.get(),
                    options.runtime, &replayed));
    if (hall.fresh || !google::protobuf::util::MessageDifferencer::Equals(
                          hall.runtime->recovered_config(), hall_config)) {
      from_file.push_back(&hall_config);
    }
    RETURN_IF_ERROR(add(std::move(hall.runtime)));
  }
  // Halls that Supervisor.ConfigureHall added live in the store only.
  ASSIGN_OR_RETURN(const std::vector<std::string> stored,
                   server->store_->HallIds());
  for (const std::string& id : stored) {
    if (cluster != nullptr) break;
    if (server->halls_.Find(id) != nullptr) continue;
    ASSIGN_OR_RETURN(
        RecoveredHall hall,
        RecoverHall(id, nullptr, server->store_.get(), server->journal_.get(),
                    server->pool_.get(), options.runtime, &replayed));
    RETURN_IF_ERROR(add(std::move(hall.runtime)));
  }
  // Every hall's configuration is submitted before any is awaited, so a
  // city's halls share a few group commits instead of an fsync each.
  std::vector<std::promise<absl::Status>> applied(from_file.size());
  for (size_t i = 0; i < from_file.size(); ++i) {
    const v1::HallConfig* hall_config = from_file[i];
    HallRuntime* runtime = server->halls_.Find(hall_config->hall_id());
    v1::Command command;
    *command.mutable_configure()->mutable_config() = *hall_config;
    command.mutable_configure()->set_supervisor_id("qcalld --config");
    runtime->Submit(
        command, "",
        [done = &applied[i]](absl::Status status, const v1::CommandReply&) {
          done->set_value(status);
        });
  }
  for (size_t i = 0; i < from_file.size(); ++i) {
    const v1::HallConfig* hall_config = from_file[i];
    const absl::Status status = applied[i].get_future().get();
    if (status.ok()) {
      spdlog::info("hall {}: configuration from --config applied",
                   hall_config->hall_id());
      if (absl::StatusOr<HallRules> rules = HallRules::FromConfig(*hall_config);
          rules.ok()) {
        for (const std::string& warning : rules->Warnings()) {
          spdlog::warn("hall {}: {}", hall_config->hall_id(), warning);
        }
      }
    } else {
      // The hall keeps running as its journal says; the file waits until
      // what blocks it (say, today's tickets of a removed service) is gone.
      spdlog::error(
          "hall {}: --config not applied, it runs the "
          "configuration in its journal: {}",
          hall_config->hall_id(), status.ToString());
    }
  }
  const auto recovered = std::chrono::steady_clock::now();

  // The HTTP side reads the public ticket page through a display token for
  // every hall that only this process knows.
  const std::string public_token = RandomToken();
  v1::ServerConfig with_public_token = config;
  v1::TokenConfig* token = with_public_token.add_tokens();
  token->set_token(public_token);
  token->set_role(v1::ROLE_DISPLAY);
  token->add_halls("*");
  token->set_name("http public ticket page");
  server->auth_ = std::make_unique<Authenticator>(with_public_token);
  server->issue_limiter_ = std::make_unique<IssueLimiter>(
      options.runtime.clock, options.kiosk_issues_per_minute);
  const ServiceContext context{
      server->auth_.get(),
      server->issue_limiter_.get(),
      &server->halls_,
      absl::ToInt64Seconds(options.runtime.heartbeat_timeout),
      &server->open_streams_,
      options.max_streams,
      [self = server.get(), runtime_options = options.runtime](
          const v1::Command& configure, const std::string& request_id,
          HallRuntime::Reply reply)
          -> absl::StatusOr<std::unique_ptr<HallRuntime>> {
        // Its first Configure must be journaled; a hall that only exists
        // in memory would vanish at the next start.
        RETURN_IF_ERROR(self->journal_->health());
        if (HallOwnership* taker = self->store_->ownership()) {
          const std::string& id = configure.configure().config().hall_id();
          RETURN_IF_ERROR(taker->Take(id).status());
          // Another node may have made it since this one last read the
          // node table: a hall is made once.
          absl::StatusOr<uint64_t> last = self->store_->LastIndex(id);
          if (!last.ok() || *last > 0) {
            taker->Release(id).IgnoreError();
            return last.ok() ? absl::UnavailableError(absl::StrCat(
                                   "hall ", id,
                                   " exists on another node; retry there"))
                             : last.status();
          }
        }
        ASSIGN_OR_RETURN(
            std::unique_ptr<HallRuntime> runtime,
            NewHall(configure, request_id, std::move(reply),
                    self->journal_.get(), self->pool_.get(), runtime_options));
        runtime->Start();
        return runtime;
      },
      std::string(absl::StripSuffix(options.public_url, "/")),
      server->store_->records(),
      [pool = server->pool_.get()](std::function<void()> task) {
        boost::asio::post(*pool, std::move(task));
      },
      options.runtime.clock,
      server->store_->private_data(),
      server->guide_pins_.get(),
      server->cluster_.get()};
  server->kiosk_ = std::make_unique<KioskService>(context);
  server->counter_ = std::make_unique<CounterService>(context);
  server->display_ = std::make_unique<DisplayService>(context);
  server->supervisor_ = std::make_unique<SupervisorService>(context);
  server->evaluator_ = std::make_unique<EvaluatorService>(context);

  server->health_ = std::make_unique<HealthService>(
      [journal = server->journal_.get()] { return journal->health().ok(); });
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  std::shared_ptr<grpc::ServerCredentials> credentials =
      grpc::InsecureServerCredentials();
  // With a certificate, both sides speak TLS only: gRPC and HTTP.
  std::optional<TlsKeyPair> tls;
  if (!options.tls_cert_path.empty() || !options.tls_key_path.empty()) {
    if (options.tls_cert_path.empty() || options.tls_key_path.empty()) {
      return absl::InvalidArgumentError(
          "TLS needs both --tls-cert and --tls-key");
    }
    ASSIGN_OR_RETURN(
        tls, LoadTlsKeyPair(options.tls_cert_path, options.tls_key_path));
    grpc::SslServerCredentialsOptions ssl;
    ssl.pem_key_cert_pairs.push_back(
        {tls->private_key_pem, tls->certificate_chain_pem});
    credentials = grpc::SslServerCredentials(ssl);
  }
  grpc::ServerBuilder builder;
  builder.AddListeningPort(options.listen, credentials, &server->port_);
  builder.SetMaxReceiveMessageSize(options.max_message_bytes);
  builder.AddChannelArgument(
      GRPC_ARG_SERVER_HANDSHAKE_TIMEOUT_MS,
      static_cast<int>(std::min<int64_t>(options.grpc_handshake_timeout.count(),
                                         INT32_MAX)));
  builder.RegisterService(server->kiosk_.get());
  builder.RegisterService(server->counter_.get());
  builder.RegisterService(server->display_.get());
  builder.RegisterService(server->supervisor_.get());
  builder.RegisterService(server->evaluator_.get());
  builder.RegisterService(server->health_.get());
  server->server_ = builder.BuildAndStart();
  if (server->server_ == nullptr || server->port_ == 0) {
    return absl::UnavailableError(
        absl::StrCat("cannot listen on ", options.listen));
  }
  if (!options.http_listen.empty()) {
    QcallServer* self = server.get();
    server->speech_ = std::make_unique<SpeechCache>("espeak-ng", 256);
    server->gateway_ = std::make_unique<HttpGateway>(
        server->server_->InProcessChannel(grpc::ChannelArguments()),
        server->auth_.get(), server->speech_.get(),
        HttpGateway::Options{.web_root = options.web_root,
                             .public_token = public_token,
                             .locator = server->cluster_.get(),
                             .serves =
                                 [self](const std::string& hall_id) {
                                   return self->halls_.Find(hall_id) != nullptr;
                                 },
                             .tls = tls.has_value()},
        [self] { return self->journal_->health(); },
        [self] { return self->Metrics(); });
    server->http_ = std::make_unique<HttpServer>(HttpServer::Limits{
        .max_connections = options.max_http_connections,
        .max_per_client = options.max_http_connections_per_client,
        .head_timeout = options.http_head_timeout,
        // An event's JSON text is about twice its protobuf bytes.
        .stream_queue_bytes = 2 * options.runtime.stream_queue_bytes,
        .stream_stall_timeout = std::chrono::milliseconds(
            absl::ToInt64Milliseconds(options.runtime.stream_stall_timeout))});
    if (tls) {
      ASSIGN_OR_RETURN(std::unique_ptr<boost::asio::ssl::context> tls_context,
                       MakeTlsServerContext(*tls));
      RETURN_IF_ERROR(server->http_->UseTls(std::move(tls_context)));
    }
    spdlog::info("qcalld: web pages from {}", options.web_root);
    RETURN_IF_ERROR(server->http_->Start(
        options.http_listen,
        [gateway = server->gateway_.get()](std::shared_ptr<HttpExchange> x) {
          gateway->Handle(std::move(x));
        }));
  }
  for (HallRuntime* runtime : server->halls_.All()) runtime->Start();
  if (server->cluster_ != nullptr) {
    RETURN_IF_ERROR(server->cluster_->Join(
        NodeAddressOf(options, server->port_, server->http_port(),
                      tls.has_value()),
        absl::Seconds(5)));
  }
  spdlog::info(
      "qcalld: {} halls recovered ({} journal records replayed) in {} ms, "
      "started in {} ms, listening on port {}{}",
      server->halls_.size(), replayed,
      std::chrono::duration_cast<std::chrono::milliseconds>(recovered - start)
          .count(),
      std::chrono::duration_cast<std::chrono::milliseconds>(
          std::chrono::steady_clock::now() - start)
          .count(),
      server->port_, tls ? ", TLS only (gRPC and HTTP)" : "");
  return server;
}

std::string QcallServer::Metrics() const {
  // Every figure is read at scrape time from the journal's stats, the halls'
  // atomics and their views, so the families are built here and handed to
  // prometheus-cpp's serializer rather than kept in a registry.
  using prometheus::ClientMetric;
  using prometheus::MetricFamily;
  using prometheus::MetricType;
  std::vector<MetricFamily> families;
  auto single = [&](const char* name, MetricType type, const char* help,
                    double value) {
    families.push_back({name, help, type, {Sample(type, value, {})}});
  };
  const GroupCommitJournal::Stats journal = journal_->stats();
  single("qcall_journal_healthy", MetricType::Gauge,
         "1 while the journal writes; 0 after a failure (writes refused; "
         "until the store is back when it can come back: PostgreSQL)",
         journal_->health().ok() ? 1 : 0);
  single("qcall_journal_resumes_total", MetricType::Counter,
         "failures the journal's store came back from (a PostgreSQL server "
         "restarted, a standby promoted)",
         static_cast<double>(journal.resumes));
  single("qcall_journal_batches_total", MetricType::Counter,
         "group commits, one fsync each", static_cast<double>(journal.batches));
  single("qcall_journal_records_total", MetricType::Counter,
         "commands journaled", static_cast<double>(journal.records));
  single("qcall_journal_commit_seconds_total", MetricType::Counter,
         "time spent writing and fsyncing batches",
         static_cast<double>(journal.commit_micros_total) / 1e6);
  single("qcall_journal_last_batch_size", MetricType::Gauge,
         "commands in the latest batch",
         static_cast<double>(journal.last_batch_size));

  struct HallFigures {
    std::string id;
    v1::HallView view;
    EventHub::Stats hub;
    const HallRuntime::Counters* counters;
  };
  std::vector<HallFigures> halls;
  // Every hall is asked at once; one deadline covers them all, so a scrape
  // never waits a second per busy hall.
  struct Asked {
    HallRuntime* runtime;
    // Shared: a hall too busy to answer within the scrape answers later.
    std::future<std::optional<v1::HallView>> ready;
  };
  std::vector<Asked> asked;
  for (HallRuntime* runtime : halls_.All()) {
    auto view = std::make_shared<std::promise<std::optional<v1::HallView>>>();
    asked.push_back({runtime, view->get_future()});
    runtime->Read([view](const Hall& hall, absl::Time now) {
      auto shown = std::make_shared<const v1::HallView>(hall.View(now));
      return [view, shown](absl::Status durable) {
        view->set_value(durable.ok() ? std::optional<v1::HallView>(*shown)
                                     : std::nullopt);
      };
    });
  }
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::seconds(1);
  for (Asked& a : asked) {
    if (a.ready.wait_until(deadline) != std::future_status::ready) {
      continue;  // A hall too busy to answer within a scrape is skipped.
    }
    std::optional<v1::HallView> shown = a.ready.get();
    if (!shown) continue;  // What it holds is not durable: not shown.
    halls.push_back({a.runtime->hall_id(), *std::move(shown),
                     a.runtime->hub().stats(), &a.runtime->counters()});
  }
  auto per_hall = [&](const char* name, MetricType type, const char* help,
                      const std::function<double(const HallFigures&)>& value) {
    MetricFamily family{name, help, type, {}};
    for (const HallFigures& h : halls) {
      family.metric.push_back(Sample(type, value(h), {{"hall", h.id}}));
    }
    families.push_back(std::move(family));
  };
  per_hall("qcall_commands_journaled_total", MetricType::Counter,
           "commands that changed the hall", [](const HallFigures& h) {
             return static_cast<double>(h.counters->journaled.load());
           });
  per_hall("qcall_commands_unchanged_total", MetricType::Counter,
           "commands refused or with nothing to do", [](const HallFigures& h) {
             return static_cast<double>(h.counters->unchanged.load());
           });
  // The halls count samples into fixed buckets themselves; the serializer
  // takes them as cumulative counts and adds the +Inf bucket (all samples).
  MetricFamily durable{
      "qcall_command_durable_seconds",
      "from applying a command to its journal record being on disk",
      MetricType::Histogram,
      {}};
  for (const HallFigures& h : halls) {
    ClientMetric metric;
    metric.label.push_back({"hall", h.id});
    constexpr auto& kBounds = HallRuntime::Counters::kBucketsMicros;
    uint64_t cumulative = 0;
    for (size_t b = 0; b < h.counters->buckets.size(); ++b) {
      cumulative += h.counters->buckets[b].load();
      if (b < kBounds.size()) {
        metric.histogram.bucket.push_back(
            {cumulative, static_cast<double>(kBounds[b]) / 1e6});
      }
    }
    metric.histogram.sample_count = cumulative;
    metric.histogram.sample_sum =
        static_cast<double>(h.counters->durable_micros_sum.load()) / 1e6;
    durable.metric.push_back(std::move(metric));
  }
  families.push_back(std::move(durable));
  per_hall("qcall_events_published_total", MetricType::Counter,
           "events sent to streams", [](const HallFigures& h) {
             return static_cast<double>(h.hub.published);
           });
  per_hall(
      "qcall_streams", MetricType::Gauge, "open Watch streams",
      [](const HallFigures& h) { return static_cast<double>(h.hub.streams); });
  per_hall("qcall_stream_overflows_total", MetricType::Counter,
           "streams ended for falling behind", [](const HallFigures& h) {
             return static_cast<double>(h.hub.overflowed);
           });
  per_hall("qcall_waiting_tickets", MetricType::Gauge, "tickets waiting",
           [](const HallFigures& h) {
             double waiting = 0;
             for (const auto& s : h.view.services()) waiting += s.waiting();
             return waiting;
           });
  per_hall("qcall_open_windows", MetricType::Gauge, "windows open",
           [](const HallFigures& h) { return h.view.open_windows(); });
  per_hall("qcall_min_open_windows", MetricType::Gauge, "the hall's minimum",
           [](const HallFigures& h) { return h.view.min_open_windows(); });
  per_hall("qcall_alarms", MetricType::Gauge, "alarms raised now",
           [](const HallFigures& h) { return h.view.alarms_size(); });
  return prometheus::TextSerializer().Serialize(families);
}

void QcallServer::Wait() { server_->Wait(); }

void QcallServer::Shutdown() {
  if (shut_down_) return;
  shut_down_ = true;
  // The HTTP side starts no call from here on: libgrpc crashes on a call
  // made on the in-process channel while the gRPC server shuts down.
  if (gateway_ != nullptr) gateway_->CloseCalls();
  // No hall comes or goes from here on.
  if (cluster_ != nullptr) cluster_->Stop();
  for (HallRuntime* runtime : halls_.All()) {
    runtime->hub().EndAll(
        grpc::Status(grpc::StatusCode::UNAVAILABLE, "qcalld is shutting down"));
  }
  // A Start that failed half-way leaves some parts unbuilt.
  if (server_ != nullptr) {
    server_->Shutdown(std::chrono::system_clock::now() +
                      std::chrono::seconds(2));
  }
  // The HTTP side goes last: its calls and streams end with the gRPC server's
  // and answer through it. If some have not ended in time, the HTTP side is
  // left to the process's exit rather than freed under them.
  if (gateway_ != nullptr && !gateway_->Stop(std::chrono::seconds(2))) {
    spdlog::warn("qcalld: HTTP calls still running at shutdown");
    (void)http_.release();
    (void)speech_.release();
    (void)gateway_.release();
  }
  speech_.reset();
  http_.reset();
  for (HallRuntime* runtime : halls_.All()) runtime->Stop();
  if (pool_ != nullptr) pool_->join();
  journal_.reset();  // Commits what is queued.
}

QcallServer::~QcallServer() { Shutdown(); }

absl::flat_hash_set<std::string> QcallServer::ServedHalls() {
  absl::flat_hash_set<std::string> ids;
  for (HallRuntime* runtime : halls_.All()) ids.insert(runtime->hall_id());
  return ids;
}

absl::Status QcallServer::Serve(const std::string& hall_id) {
  auto configured = configured_.find(hall_id);
  const v1::HallConfig* seed =
      configured == configured_.end() ? nullptr : &configured->second;
  uint64_t replayed = 0;
  const auto start = std::chrono::steady_clock::now();
  ASSIGN_OR_RETURN(RecoveredHall hall,
                   RecoverHall(hall_id, seed, store_.get(), journal_.get(),
                               pool_.get(), runtime_options_, &replayed));
  // As at start: the file's configuration goes into a journal that lacks
  // it or runs another.
  const bool configure =
      seed != nullptr &&
      (hall.fresh || !google::protobuf::util::MessageDifferencer::Equals(
                         hall.runtime->recovered_config(), *seed));
  ASSIGN_OR_RETURN(auto added, halls_.AddIfAbsent(hall_id, [&] {
    return std::move(hall.runtime);
  }));
  if (!added.second) {
    return absl::AlreadyExistsError(
        absl::StrCat("hall ", hall_id, " is served here already"));
  }
  HallRuntime* runtime = added.first;
  runtime->Start();
  if (configure) {
    v1::Command command;
    *command.mutable_configure()->mutable_config() = *seed;
    command.mutable_configure()->set_supervisor_id("qcalld --config");
    runtime->Submit(command, "",
                    [hall_id](absl::Status status, const v1::CommandReply&) {
                      if (!status.ok()) {
                        spdlog::error(
                            "hall {}: --config not applied, it runs the "
                            "configuration in its journal: {}",
                            hall_id, status.ToString());
                      }
                    });
  }
  spdlog::info("hall {}: served here ({} records replayed in {} ms)", hall_id,
               replayed,
               std::chrono::duration_cast<std::chrono::milliseconds>(
                   std::chrono::steady_clock::now() - start)
                   .count());
  return absl::OkStatus();
}

void QcallServer::Leave(const std::string& hall_id, const OwnerAnswer& why) {
  HallRuntime* runtime = halls_.Retire(hall_id);
  if (runtime == nullptr) return;
  auto written = std::make_shared<std::promise<absl::Status>>();
  std::future<absl::Status> done = written->get_future();
  runtime->Retire(why.status, why.trailers, [written](absl::Status durable) {
    written->set_value(std::move(durable));
  });
  // Its lock goes only once what it acknowledged is in the store, so the
  // next owner replays all of it.
  if (done.wait_for(std::chrono::seconds(3)) != std::future_status::ready) {
    spdlog::warn("hall {}: its last commands are not durable after 3 s",
                 hall_id);
  }
  runtime->hub().EndAll(ToGrpc(why.status), why.trailers);
  spdlog::info("hall {}: no longer served here: {}", hall_id,
               std::string(why.status.message()));
}

}  // namespace qcall
