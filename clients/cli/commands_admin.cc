// qcall admin ...: what a duty manager does besides watching `qcall top`.
#include <sys/random.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <iostream>
#include <memory>
#include <sstream>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "clients/cli/commands.h"
#include "clients/cli/dashboard.h"
#include "dispatcher/token_hash.h"
#include "qcall/v1/server_config.pb.h"

namespace qcall::cli {
namespace {

struct AdminOptions {
  int32_t min_open_windows = 0;
  std::string ticket;
  std::string reason;
  uint32_t follow_up = 0;
  std::string text;
};

int ListHalls(Client& client) {
  return RunUnary(
      client, &v1::Supervisor::Stub::ListHalls, v1::ListHallsRequest(),
      [](const v1::ListHallsResponse& response) {
        std::string text;
        for (const v1::HallSummary& h : response.halls()) {
          if (!text.empty()) text += "\n";
          absl::StrAppend(
              &text, PadRight(h.hall_id(), 16), PadRight(h.name(), 50),
              PadRight(absl::StrCat(h.waiting(), " waiting"), 12),
              PadRight(absl::StrCat(h.open_windows(), " open / min ",
                                    h.min_open_windows()),
                       16),
              h.alarms(), h.alarms() == 1 ? " alarm" : " alarms");
        }
        return Shown{text.empty() ? "no halls" : text};
      });
}

int GetHall(Client& client) {
  v1::GetHallRequest request;
  request.set_hall_id(client.hall());
  return RunUnary(client, &v1::Supervisor::Stub::GetHall, request,
                  [](const v1::HallView& view) {
                    const absl::Time now = absl::Now();
                    std::string frame = RenderDashboard(view, now, now, {});
                    frame.pop_back();  // PrintLine adds the last newline.
                    return Shown{frame};
                  });
}

int SetMin(Client& client, const AdminOptions& o) {
  v1::SetMinOpenWindowsRequest request;
  request.set_hall_id(client.hall());
  request.set_min_open_windows(o.min_open_windows);
  request.set_request_id(client.RequestId());
  return RunUnary(client, &v1::Supervisor::Stub::SetMinOpenWindows, request,
                  [&](const v1::CommandReply&) {
                    return Shown{absl::StrCat(
                        client.hall(), " keeps at least ", o.min_open_windows,
                        " windows open during business hours")};
                  });
}

int Void(Client& client, const AdminOptions& o) {
  v1::VoidTicketRequest request;
  request.set_hall_id(client.hall());
  request.set_ticket(o.ticket);
  request.set_reason(o.reason);
  request.set_request_id(client.RequestId());
  return RunUnary(
      client, &v1::Supervisor::Stub::VoidTicket, request,
      [](const v1::CommandReply& reply) {
        return Shown{absl::StrCat(reply.ticket().number(), " voided")};
      });
}

// A bad rating's follow-up item (整改), closed with what was done.
int CloseFollowUp(Client& client, const AdminOptions& o) {
  v1::CloseFollowUpRequest request;
  request.set_hall_id(client.hall());
  request.set_id(o.follow_up);
  request.set_text(o.text);
  request.set_request_id(client.RequestId());
  return RunUnary(
      client, &v1::Supervisor::Stub::CloseFollowUp, request,
      [&](const v1::CommandReply&) {
        return Shown{absl::StrCat("follow-up ", o.follow_up, " closed")};
      });
}

struct HashTokenOptions {
  std::string token;
  bool make_new = false;
};

// Shorter tokens could be guessed from their hash, which is unsalted.
constexpr size_t kMinHashedTokenLength = 16;

// 32 bytes from the kernel's random source, URL-safe base64 (43
// characters): fits a header and a page's address as it is.
absl::StatusOr<std::string> NewToken() {
  unsigned char bytes[32];
  size_t got = 0;
  while (got < sizeof bytes) {
    const ssize_t n = getrandom(bytes + got, sizeof bytes - got, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return absl::InternalError("no random bytes from getrandom");
    got += static_cast<size_t>(n);
  }
  std::string token = absl::WebSafeBase64Escape(
      absl::string_view(reinterpret_cast<const char*>(bytes), sizeof bytes));
  // One token in 64 would begin with '-', and every command line (qcall's
  // own --token, hash-token's argument) would read it as an option.
  if (token.front() == '-') token.front() = 'A';
  return token;
}

int HashToken(Client& client, const HashTokenOptions& o) {
  std::string token = o.token;
  if (o.make_new) {
    if (!token.empty()) {
      std::fprintf(stderr,
                   "qcall: give a token or --new, not both (see --help)\n");
      return kExitUsage;
    }
    absl::StatusOr<std::string> made = NewToken();
    if (!made.ok()) {
      std::fprintf(stderr, "qcall: %s\n",
                   std::string(made.status().message()).c_str());
      return kExitFailed;
    }
    token = *std::move(made);
  } else if (token.empty()) {
    // From stdin, so the token stays out of the shell's history and ps.
    std::ostringstream in;
    in << std::cin.rdbuf();
    token = in.str();
    if (absl::EndsWith(token, "\n")) token.pop_back();
    if (absl::EndsWith(token, "\r")) token.pop_back();
  }
  if (token.size() < kMinHashedTokenLength) {
    std::fprintf(stderr,
                 "qcall: a token must be at least %zu characters, long and "
                 "random (qcall admin hash-token --new makes one)\n",
                 kMinHashedTokenLength);
    return kExitUsage;
  }
  for (char c : token) {
    if (c <= ' ' || c > '~') {
      std::fprintf(stderr,
                   "qcall: a token is printable ASCII without spaces (it "
                   "travels in a header and in page addresses)\n");
      return kExitUsage;
    }
  }
  const std::string hash = Sha256Hex(TokenSha256(token));
  if (client.json()) {
    v1::TokenConfig shown;
    if (o.make_new) shown.set_token(token);
    shown.set_token_sha256(hash);
    PrintLine(ToJson(shown));
  } else {
    // With --new the token first: it is shown this once and stored nowhere.
    if (o.make_new) PrintLine(token);
    PrintLine(absl::StrCat("token_sha256: \"", hash, "\""));
  }
  return kExitOk;
}

// A guide's PIN (GuidePin in the config): 4 to 12 digits, from stdin. Its
// hash keeps the PIN out of sight, not from whoever reads the config (there
// are few PINs to try): the file's mode and the server's limit on wrong
// PINs protect it.
int HashPin(Client& client) {
  std::string pin;
  std::getline(std::cin, pin);
  if (absl::EndsWith(pin, "\r")) pin.pop_back();
  if (pin.size() < 4 || pin.size() > 12 ||
      !std::all_of(pin.begin(), pin.end(),
                   [](char c) { return c >= '0' && c <= '9'; })) {
    std::fprintf(stderr, "qcall: a guide PIN is 4 to 12 digits, on stdin\n");
    return kExitUsage;
  }
  const std::string hash = Sha256Hex(TokenSha256(pin));
  if (client.json()) {
    v1::GuidePin shown;
    shown.set_pin_sha256(hash);
    PrintLine(ToJson(shown));
  } else {
    PrintLine(absl::StrCat("pin_sha256: \"", hash, "\""));
  }
  return kExitOk;
}

}  // namespace

void AddAdminCommands(CLI::App* app, Cli* cli) {
  CLI::App* admin =
      app->add_subcommand("admin", "supervise halls (supervisor token)");
  admin->require_subcommand(1);
  auto o = std::make_shared<AdminOptions>();
  AddAction(admin, cli, "halls", "the halls this token may see",
            Needs::kNothing, ListHalls);
  AddAction(admin, cli, "hall", "the hall right now (one frame of top)",
            Needs::kHall, GetHall);
  AddAction(admin, cli, "set-min",
            "the fewest windows that must stay open during business hours",
            Needs::kHallAndRequestId,
            [o](Client& client) { return SetMin(client, *o); })
      ->add_option("count", o->min_open_windows, "number of windows")
      ->check(CLI::NonNegativeNumber)
      ->required();
  CLI::App* void_command =
      AddAction(admin, cli, "void", "void a ticket (it will not be called)",
                Needs::kHallAndRequestId,
                [o](Client& client) { return Void(client, *o); });
  void_command->add_option("ticket", o->ticket, "ticket number, e.g. A012")
      ->required();
  void_command->add_option("--reason", o->reason, "why, recorded")->required();
  CLI::App* close = AddAction(
      admin, cli, "close-follow-up",
      "close the follow-up item (整改) a bad rating opened, saying what was "
      "done (the open ones are in `admin hall` and on the dashboard)",
      Needs::kHallAndRequestId,
      [o](Client& client) { return CloseFollowUp(client, *o); });
  close->add_option("id", o->follow_up, "the follow-up's number")->required();
  close->add_option("--text", o->text, "what was done, recorded")->required();

  auto h = std::make_shared<HashTokenOptions>();
  CLI::App* hash = AddAction(
      admin, cli, "hash-token",
      "print the token_sha256 line of a token for qcalld's config (the token "
      "from stdin or the argument; --new makes one); needs no server",
      Needs::kNothing, [h](Client& client) { return HashToken(client, *h); });
  hash->add_option("token", h->token,
                   "the token (default: read from stdin, which keeps it out "
                   "of the shell's history)");
  hash->add_flag("--new", h->make_new,
                 "make a new random token (256 bits) and print it, then its "
                 "line");
  AddAction(admin, cli, "hash-pin",
            "print the pin_sha256 line of a hall's guide PIN (guide_pins in "
            "qcalld's config; the PIN, 4-12 digits, from stdin); needs no "
            "server",
            Needs::kNothing, HashPin);
}

}  // namespace qcall::cli
