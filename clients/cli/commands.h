// The subcommands of qcall. Each Add*Commands function adds its subcommands
// to the CLI11 app; the subcommand the user picks leaves its action in
// Cli::action, which main() runs after parsing with a Client built from the
// final global options:
//
//   Cli cli;
//   AddKioskCommands(&app, &cli);
//   app.parse(argc, argv);
//   Client client(cli.options);
//   return cli.action(client);
#ifndef QCALL_CLIENTS_CLI_COMMANDS_H_
#define QCALL_CLIENTS_CLI_COMMANDS_H_

#include <functional>
#include <string>

#include "CLI/CLI.hpp"
#include "clients/cli/client.h"

namespace qcall::cli {

struct Cli {
  GlobalOptions options;
  // Set by the chosen subcommand's callback; returns the exit code.
  std::function<int(Client&)> action;
};

enum class Needs {
  kNothing,
  kHall,
  // A mutating call: needs the hall and takes --request-id.
  kHallAndRequestId,
};

// Adds a subcommand whose action runs when the user picks it. With
// Needs::kHall the action does not run without --hall (exit 2).
CLI::App* AddAction(CLI::App* parent, Cli* cli, const std::string& name,
                    const std::string& description, Needs needs,
                    std::function<int(Client&)> action);

// kiosk services|issue, ticket status.
void AddKioskCommands(CLI::App* app, Cli* cli);
// booking create|list, and kiosk check-in under `kiosk`
// (commands_booking.cc).
void AddBookingCommands(CLI::App* app, CLI::App* kiosk, Cli* cli);
// counter open|close|pause|resume|call|recall|start|complete|noshow|requeue|
// transfer.
void AddCounterCommands(CLI::App* app, Cli* cli);
// admin halls|hall|set-min|void|hash-token.
void AddAdminCommands(CLI::App* app, Cli* cli);
// board: the calls as they happen (terminal_board.cc).
void AddBoardCommand(CLI::App* app, Cli* cli);
// top: the live dashboard (top.cc).
void AddTopCommand(CLI::App* app, Cli* cli);
// audit verify: a journal file checked offline (audit.cc).
void AddAuditCommand(CLI::App* app, Cli* cli);
// report day|period|month (report.cc).
void AddReportCommand(CLI::App* app, Cli* cli);

}  // namespace qcall::cli

#endif  // QCALL_CLIENTS_CLI_COMMANDS_H_
