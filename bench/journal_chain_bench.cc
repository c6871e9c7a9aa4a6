// The cost of the journal's hash chain per record (journal_chain.h), the
// work the journal's writer adds to each record it commits, and of a
// snapshot's checksum.
//
//   build/bench/journal_chain_bench
#include <string>

#include "absl/strings/str_cat.h"
#include "benchmark/benchmark.h"
#include "dispatcher/journal_chain.h"
#include "qcall/v1/api.pb.h"

namespace qcall {
namespace {

// An IssueTicket as a kiosk sends it, with a request id and its reply (the
// phone goes apart, not into the command).
JournalRecord TypicalRecord() {
  v1::Command command;
  command.mutable_issue_ticket()->set_service_code("BILL");
  v1::CommandReply reply;
  v1::Ticket* ticket = reply.mutable_ticket();
  ticket->set_number("A0012");
  ticket->set_service_code("BILL");
  ticket->set_service_name("话费缴纳 Bill payment");
  ticket->set_issued_at_unix_ms(1'796'000'000'000);
  ticket->set_business_day(20261207);
  reply.set_people_ahead(11);
  reply.set_estimated_wait_seconds(660);
  return {"sh-xujiahui",
          12345,
          1'796'000'000'000,
          "5f0c2a4e-9a61-4c1e-8f4e-0d1f6f3a2b7c",
          command.SerializeAsString(),
          reply.SerializeAsString()};
}

void BM_ChainNext(benchmark::State& state) {
  const JournalChain chain = state.range(0)
                                 ? *JournalChain::WithKey(std::string(32, 'k'))
                                 : JournalChain();
  const JournalRecord record = TypicalRecord();
  std::string head = chain.Genesis(record.hall_id);
  for (auto _ : state) {
    head = chain.Next(head, record);
    benchmark::DoNotOptimize(head);
  }
  state.SetLabel(absl::StrCat(
      state.range(0) ? "keyed" : "unkeyed", ", ",
      record.command.size() + record.reply.size() + record.request_id.size(),
      " bytes"));
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_ChainNext)->Arg(0)->Arg(1);

void BM_SnapshotChecksum(benchmark::State& state) {
  const JournalChain chain;
  const SnapshotRecord snapshot{"sh-xujiahui", 10000,
                                std::string(state.range(0), 'x'),
                                std::string(32, 'c')};
  for (auto _ : state) {
    benchmark::DoNotOptimize(chain.SnapshotChecksum(snapshot));
  }
  state.SetBytesProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_SnapshotChecksum)->Arg(1 << 20)->Arg(16 << 20);

}  // namespace
}  // namespace qcall

BENCHMARK_MAIN();
