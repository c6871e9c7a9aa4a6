// Writes the seed corpora of the engine, snapshot and journal fuzzers from a
// real hall (tests/engine/test_hall.h), so the fuzzers start from inputs that
// reach deep paths. The config and http seeds are hand-written files.
//
//   build-fuzz/fuzz/fuzz_seeds fuzz/corpus
#include <cstdint>
#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "engine/hall.h"
#include "tests/engine/hall_invariants.h"
#include "tests/engine/test_hall.h"

namespace qcall {
namespace {

using namespace ::qcall::testing;  // NOLINT: the command builders.

void Write(const std::string& path, const std::string& bytes) {
  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (f == nullptr) {
    std::perror(path.c_str());
    std::exit(1);
  }
  std::fwrite(bytes.data(), 1, bytes.size(), f);
  std::fclose(f);
}

void Put(std::string* out, uint64_t v, int bytes) {
  for (int i = 0; i < bytes; ++i)
    out->push_back(static_cast<char>(v >> (8 * i)));
}

// One record in journal_fuzz's framing.
void Record(std::string* out, uint64_t step, uint64_t seconds,
            const v1::Command& command, const std::string& request_id = "") {
  const std::string bytes = Bytes(command);
  Put(out, step, 1);
  Put(out, seconds, 2);
  Put(out, request_id.size(), 1);
  Put(out, bytes.size(), 2);
  Put(out, 0, 2);
  out->append(request_id);
  out->append(bytes);
}

int Main(const std::string& dir) {
  const std::vector<v1::Command> day = {
      OpenWindow(1, "c1"),
      OpenWindow(2, "c2"),
      Issue("BILL"),
      Issue("SIM"),
      Issue("BILL", v1::CATEGORY_VIP),
      CallNext(1),
      Start(1),
      CallNext(2),
      NoShow(2),
      Requeue("B001"),
      Complete(1, 5),
      CallNext(1),
      TransferToService(1, "SIM", v1::PLACEMENT_FIRST),
      PauseWindow(2, "lunch"),
      Tick()};
  TestHall h(SmallHallConfig());
  Write(dir + "/snapshot/fresh", Bytes(h.hall().Snapshot()));
  std::string journal;
  Put(&journal, 0, 1);  // No snapshot, a seed config.
  v1::Command configure;
  *configure.mutable_configure()->mutable_config() = SmallHallConfig();
  configure.mutable_configure()->set_supervisor_id("sup1");
  Record(&journal, 1, 0, configure);
  std::string after_snapshot;
  for (size_t i = 0; i < day.size(); ++i) {
    (void)h.Try(day[i]);
    Record(&journal, 1, 30, day[i], absl::StrCat("r", i));
    h.Advance(absl::Seconds(30));
    if (i == 7) {
      const std::string state = Bytes(h.hall().Snapshot());
      Write(dir + "/snapshot/midday", state);
      Put(&after_snapshot, 1, 1);
      Put(&after_snapshot, state.size(), 2);
      after_snapshot.append(state);
      Put(&after_snapshot, 8, 1);
    }
  }
  Write(dir + "/snapshot/busy", Bytes(h.hall().Snapshot()));
  Write(dir + "/journal/day", journal);
  // The snapshot after the 8th record, then records 9.. of the same day.
  uint64_t index_step = 9;
  for (size_t i = 8; i < day.size(); ++i) {
    Record(&after_snapshot, index_step, 30, day[i]);
    index_step = 1;
  }
  Write(dir + "/journal/snapshot-then-records", after_snapshot);
  // The engine fuzzer decodes any bytes into commands: a few lengths of
  // fixed pseudo-random bytes.
  std::mt19937 gen(14);
  for (size_t size : {64, 512, 2048}) {
    std::string bytes(size, '\0');
    for (char& c : bytes) c = static_cast<char>(gen());
    Write(absl::StrCat(dir, "/engine/random-", size), bytes);
  }
  return 0;
}

}  // namespace
}  // namespace qcall

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: fuzz_seeds CORPUS_DIR\n");
    return 2;
  }
  return qcall::Main(argv[1]);
}
