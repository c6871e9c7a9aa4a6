// How fast qcalld recovers a hall from its journal alone: writes a journal of
// a busy hall's commands (issue, call next, start, complete over 20 windows),
// then times RecoverHall, which reads every record from SQLite, parses it and
// replays it through the engine.
//
//   build/bench/recovery_bench --benchmark_filter=1000000
#include <unistd.h>

#include <boost/asio/thread_pool.hpp>
#include <filesystem>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "benchmark/benchmark.h"
#include "dispatcher/group_commit_journal.h"
#include "dispatcher/recovery.h"
#include "dispatcher/sqlite_journal_store.h"
#include "engine/hall.h"
#include "qcall/v1/api.pb.h"

namespace qcall {
namespace {

constexpr int kWindows = 20;

v1::HallConfig Config() {
  v1::HallConfig c;
  c.set_hall_id("recovery");
  c.set_time_zone("Asia/Shanghai");
  for (const char* code : {"A", "B", "C", "D"}) {
    v1::ServiceConfig* s = c.add_services();
    s->set_code(std::string("S") + code);
    s->set_ticket_prefix(code);
    s->set_number_width(9);
  }
  for (int w = 1; w <= kWindows; ++w) {
    v1::WindowConfig* window = c.add_windows();
    window->set_number(w);
    for (const char* code : {"SA", "SB", "SC", "SD"}) {
      window->add_serves()->set_service_code(code);
    }
  }
  return c;
}

// Writes `commands` journaled commands of one hall into `store`.
void WriteJournal(JournalStore* store, const v1::HallConfig& config,
                  int64_t commands) {
  absl::TimeZone tz;
  absl::LoadTimeZone(config.time_zone(), &tz);
  Hall hall = *Hall::Create(config, tz);
  Hall::Outcome out;
  absl::Time now =
      absl::FromCivil(absl::CivilSecond(2026, 11, 27, 8, 0, 0), tz);
  std::vector<JournalRecord> batch;
  uint64_t index = 0;
  auto apply = [&](const v1::Command& command, const std::string& request_id) {
    now += absl::Milliseconds(10);
    (void)hall.Apply(command, now, &out);
    if (out.events().empty()) return;
    std::string reply;
    if (!request_id.empty()) {
      v1::CommandReply r;
      *r.mutable_ticket() = out.result().ticket();
      r.set_seq(hall.last_seq());
      reply = r.SerializeAsString();
    }
    batch.push_back({config.hall_id(), ++index, absl::ToUnixMillis(now),
                     request_id, command.SerializeAsString(),
                     std::move(reply)});
    if (batch.size() == 20'000) {
      if (!store->Commit(batch, {}).ok()) std::abort();
      batch.clear();
    }
  };
  v1::Command command;
  for (int w = 1; w <= kWindows; ++w) {
    command.mutable_open_window()->set_window(w);
    command.mutable_open_window()->set_clerk_id(absl::StrCat("clerk", w));
    apply(command, "");
  }
  for (int64_t i = 0; static_cast<int64_t>(index) < commands; ++i) {
    const int w = static_cast<int>(i % kWindows) + 1;
    command.Clear();
    static const char* kCodes[] = {"SA", "SB", "SC", "SD"};
    command.mutable_issue_ticket()->set_service_code(kCodes[i % 4]);
    apply(command, absl::StrCat("kiosk-", i));
    command.Clear();
    command.mutable_call_next()->set_window(w);
    apply(command, "");
    command.Clear();
    command.mutable_start_serving()->set_window(w);
    apply(command, "");
    command.Clear();
    command.mutable_complete()->set_window(w);
    command.mutable_complete()->set_rating(5);
    apply(command, "");
  }
  if (!batch.empty() && !store->Commit(batch, {}).ok()) std::abort();
}

void BM_RecoverFromJournal(benchmark::State& state) {
  const std::filesystem::path dir = std::filesystem::temp_directory_path() /
                                    absl::StrCat("qcall-recovery-", getpid());
  std::filesystem::create_directories(dir);
  const v1::HallConfig config = Config();
  std::unique_ptr<JournalStore> store = *SqliteJournalStore::Open(
      (dir / "journal.sqlite").string(), {.create = true});
  WriteJournal(store.get(), config, state.range(0));
  uint64_t replayed = 0;
  for (auto _ : state) {
    GroupCommitJournal journal(store.get());
    boost::asio::thread_pool pool(1);
    replayed = 0;
    auto hall = RecoverHall(config.hall_id(), &config, store.get(), &journal,
                            &pool, RuntimeOptions(), &replayed);
    if (!hall.ok()) std::abort();
    benchmark::DoNotOptimize(hall->runtime.get());
  }
  state.counters["records"] = static_cast<double>(replayed);
  state.counters["records_per_second"] = benchmark::Counter(
      static_cast<double>(replayed) * static_cast<double>(state.iterations()),
      benchmark::Counter::kIsRate);
  store.reset();
  std::filesystem::remove_all(dir);
}
BENCHMARK(BM_RecoverFromJournal)
    ->Arg(100'000)
    ->Arg(1'000'000)
    ->Unit(benchmark::kMillisecond)
    ->Iterations(3);

}  // namespace
}  // namespace qcall

BENCHMARK_MAIN();
