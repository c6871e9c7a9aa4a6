// What a request's token check costs: Authenticator::AuthenticateToken with
// N configured tokens (one SHA-256 of the token, one hash-map lookup), and
// the SHA-256 alone.
//
//   build/bench/auth_bench --benchmark_repetitions=3
//       --benchmark_report_aggregates_only=true
#include <benchmark/benchmark.h>

#include <cstdio>
#include <string>

#include "absl/strings/str_cat.h"
#include "dispatcher/auth.h"
#include "dispatcher/token_hash.h"

namespace qcall {
namespace {

// A token as `qcall admin hash-token --new` makes them: 43 characters.
std::string Token(int i) {
  char token[44];
  std::snprintf(token, sizeof token, "bench-token-%030d", i);
  return token;
}

void BM_TokenSha256(benchmark::State& state) {
  const std::string token = Token(7);
  for (auto _ : state) benchmark::DoNotOptimize(TokenSha256(token));
}
BENCHMARK(BM_TokenSha256);

// Half the tokens given hashed, half plain; the request's token is known
// (state.range(1) == 1) or not.
void BM_AuthenticateToken(benchmark::State& state) {
  const int tokens = static_cast<int>(state.range(0));
  v1::ServerConfig config;
  // A std::string, not "*": g++ 12 sees a false -Wrestrict in the latter.
  const std::string all_halls = "*";
  for (int i = 0; i < tokens; ++i) {
    v1::TokenConfig* t = config.add_tokens();
    if (i % 2 == 0) {
      t->set_token_sha256(Sha256Hex(TokenSha256(Token(i))));
    } else {
      t->set_token(Token(i));
    }
    t->set_role(v1::ROLE_KIOSK);
    t->add_halls(all_halls);
    t->set_name(absl::StrCat("kiosk ", i));
  }
  const Authenticator auth(config);
  const std::string asked = state.range(1) == 1 ? Token(tokens / 2) : Token(-1);
  for (auto _ : state) {
    benchmark::DoNotOptimize(auth.AuthenticateToken(asked));
  }
}
BENCHMARK(BM_AuthenticateToken)
    ->Args({10, 1})
    ->Args({10'000, 1})
    ->Args({10'000, 0});

}  // namespace
}  // namespace qcall

BENCHMARK_MAIN();
