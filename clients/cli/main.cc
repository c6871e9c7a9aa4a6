// qcall: the command line of qcalld, for kiosks, counters, boards and duty
// managers. `qcall --help` lists the commands; exit codes are in
// exit_codes.h.
//
//   export QCALL_TOKEN=demo-counter-token QCALL_HALL=sh-xujiahui
//   qcall counter open 3 --clerk zhang
//   qcall counter call 3          # window 3 calls A012
#include <grpc/support/log.h>

#include <cstdio>
#include <fstream>
#include <sstream>

#include "CLI/CLI.hpp"
#include "clients/cli/commands.h"

namespace qcall::cli {

CLI::App* AddAction(CLI::App* parent, Cli* cli, const std::string& name,
                    const std::string& description, Needs needs,
                    std::function<int(Client&)> action) {
  CLI::App* command = parent->add_subcommand(name, description);
  if (needs == Needs::kHallAndRequestId) {
    command->add_option("--request-id", cli->options.request_id,
                        "send this id instead of a fresh one: a retry with "
                        "the same id does not act twice");
  }
  command->callback([cli, needs, action = std::move(action)] {
    cli->action = [cli, needs, action](Client& client) {
      if (needs != Needs::kNothing && cli->options.hall.empty()) {
        std::fprintf(stderr, "qcall: --hall (or QCALL_HALL) is required\n");
        return static_cast<int>(kExitUsage);
      }
      return action(client);
    };
  });
  return command;
}

}  // namespace qcall::cli

int main(int argc, char** argv) {
  using namespace qcall::cli;
  // gRPC's own lines ("Handshake failed with fatal error ...") would come
  // before qcall's one-line error, which already says what to check.
  gpr_set_log_function([](gpr_log_func_args*) {});
  CLI::App app{"qcall: talk to qcalld, the queue-ticketing server"};
  app.footer(kExitCodeHelp);
  app.set_version_flag("--version", "qcall " QCALL_VERSION);
  // Global options may also follow the subcommand: qcall kiosk issue BILL
  // --json.
  app.fallthrough();
  app.require_subcommand(1);
  Cli cli;
  GlobalOptions& o = cli.options;
  app.add_option("--server", o.server, "qcalld's gRPC address, host:port")
      ->envname("QCALL_SERVER")
      ->capture_default_str();
  app.add_flag("--tls", o.tls,
               "speak TLS, trusting the system's CA certificates (qcalld "
               "with --tls-cert)")
      ->envname("QCALL_TLS");
  std::string tls_ca_path;
  app.add_option("--tls-ca", tls_ca_path,
                 "speak TLS, trusting the CA certificates in this PEM file "
                 "(the hall's own CA)")
      ->envname("QCALL_TLS_CA");
  app.add_option("--token", o.token, "bearer token of your role")
      ->envname("QCALL_TOKEN");
  app.add_option("--hall", o.hall, "hall id, e.g. sh-xujiahui")
      ->envname("QCALL_HALL");
  app.add_flag("--json", o.json,
               "print replies as proto3 JSON, one object per line");
  app.add_option("--timeout", o.timeout_seconds,
                 "seconds to wait for an answer")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();

  AddKioskCommands(&app, &cli);
  AddCounterCommands(&app, &cli);
  AddBoardCommand(&app, &cli);
  AddTopCommand(&app, &cli);
  AddAdminCommands(&app, &cli);
  AddAuditCommand(&app, &cli);
  AddReportCommand(&app, &cli);

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    // One line, like every other error of qcall.
    std::fprintf(stderr, "qcall: %s (see --help)\n", e.what());
    return kExitUsage;
  }
  if (!cli.action) {
    std::fprintf(stderr, "qcall: choose a subcommand (see --help)\n");
    return kExitUsage;
  }
  if (!tls_ca_path.empty()) {
    std::ifstream in(tls_ca_path, std::ios::binary);
    std::ostringstream pem;
    pem << in.rdbuf();
    if (!in ||
        pem.str().find("-----BEGIN CERTIFICATE-----") == std::string::npos) {
      std::fprintf(stderr,
                   "qcall: --tls-ca %s is not a readable PEM file of CA "
                   "certificates\n",
                   tls_ca_path.c_str());
      return kExitUsage;
    }
    o.tls = true;
    o.tls_ca_pem = pem.str();
  }
  Client client(cli.options);
  return cli.action(client);
}
