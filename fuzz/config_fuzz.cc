// libFuzzer target: the text of qcalld's --config (a qcall.v1.ServerConfig
// textproto: halls and tokens). ParseServerConfig must answer a status for
// any text; a config it accepts must give every hall whose time zone loads a
// Hall, and an Authenticator that knows each token's role and halls.
//
//   scripts/fuzz config 600
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "dispatcher/auth.h"
#include "dispatcher/recovery.h"
#include "dispatcher/server.h"
#include "engine/hall.h"
#include "fuzz/quiet_log.h"

namespace qcall {
namespace {

[[noreturn]] void Fail(const std::string& what) {
  std::fprintf(stderr, "config_fuzz: %s\n", what.c_str());
  std::abort();
}

void Run(absl::string_view text) {
  absl::StatusOr<v1::ServerConfig> config = ParseServerConfig(text, "input");
  if (!config.ok()) {
    if (config.status().message().empty()) Fail("a refusal without a reason");
    return;
  }
  for (const v1::HallConfig& hall : config->halls()) {
    // The config checks a zone's name (IANA-shaped, not a path); whether
    // tzdata has it is known when qcalld loads it, which refuses to start
    // with that status.
    absl::StatusOr<absl::TimeZone> zone = LoadZone(hall.time_zone());
    if (!zone.ok()) {
      if (zone.status().message().empty()) Fail("a zone refused silently");
      continue;
    }
    absl::StatusOr<Hall> created = Hall::Create(hall, *zone);
    if (!created.ok()) {
      Fail("an accepted hall is refused by the engine: " +
           created.status().ToString());
    }
    (void)created->View(absl::FromUnixSeconds(1'795'000'000));
  }
  const Authenticator auth(*config);
  for (const v1::TokenConfig& token : config->tokens()) {
    absl::StatusOr<Caller> caller = auth.AuthenticateToken(token.token());
    if (!caller.ok()) {
      Fail("a configured token does not authenticate: " +
           caller.status().ToString());
    }
    for (const std::string& hall : token.halls()) {
      (void)Authenticator::InScope(*caller, hall);
    }
  }
  (void)auth.AuthenticateToken(text.substr(0, 64));
}

}  // namespace
}  // namespace qcall

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  qcall::fuzz::QuietProtobufLog();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  qcall::Run(absl::string_view(reinterpret_cast<const char*>(data), size));
  return 0;
}
