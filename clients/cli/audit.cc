// qcall audit verify: an auditor's offline check of a journal file (see
// dispatcher/journal_audit.h). It needs no server and no token, only read
// access to the journal (and its key, when it was written with one).
//
//   qcall audit verify --store sqlite:/var/lib/qcall/journal.sqlite
//       --journal-key-file /etc/qcall/journal.key   (one line)
#include <cstdio>
#include <memory>
#include <string>

#include "clients/cli/commands.h"
#include "clients/cli/exit_codes.h"
#include "dispatcher/journal_audit.h"
#include "dispatcher/journal_chain.h"
#include "dispatcher/journal_store.h"

namespace qcall::cli {
namespace {

struct AuditOptions {
  std::string store;
  std::string key_file;
  bool accept_damage = false;
};

int Verify(const AuditOptions& o) {
  StoreOptions options{.read_only = true};
  options.accept_damage = o.accept_damage;
  if (!o.key_file.empty()) {
    absl::StatusOr<std::string> key = ReadJournalKey(o.key_file);
    if (!key.ok()) {
      std::fprintf(stderr, "qcall: %s\n",
                   std::string(key.status().message()).c_str());
      return kExitUsage;
    }
    options.chain_key = *std::move(key);
  }
  absl::StatusOr<std::unique_ptr<JournalStore>> store =
      OpenJournalStore(o.store, options);
  if (!store.ok()) {
    std::fprintf(stderr, "qcall: %s\n", store.status().ToString().c_str());
    return kExitFailed;
  }
  absl::StatusOr<std::vector<HallAudit>> halls = AuditJournal(store->get());
  if (!halls.ok()) {
    std::fprintf(stderr, "qcall: %s\n", halls.status().ToString().c_str());
    return kExitFailed;
  }
  bool all_good = true;
  for (const HallAudit& hall : *halls) {
    std::fputs(FormatAudit(hall).c_str(), stdout);
    all_good = all_good && hall.problem.ok();
  }
  std::printf("%s: %zu halls, chain %s\n", all_good ? "OK" : "BROKEN",
              halls->size(), (*store)->chain().keyed() ? "keyed" : "not keyed");
  return all_good ? kExitOk : kExitFailed;
}

}  // namespace

void AddAuditCommand(CLI::App* app, Cli* cli) {
  CLI::App* audit =
      app->add_subcommand("audit", "check a journal file offline");
  audit->require_subcommand(1);
  auto o = std::make_shared<AuditOptions>();
  CLI::App* verify = AddAction(
      audit, cli, "verify",
      "check every hall's hash chain, every snapshot and each day's ticket "
      "numbers; print a line per hall and the first broken record; exit 0 "
      "when all is good, 1 otherwise",
      Needs::kNothing, [o](Client&) { return Verify(*o); });
  verify->add_option("--store", o->store, "the journal, sqlite:PATH")
      ->required();
  verify->add_option("--journal-key-file", o->key_file,
                     "the key qcalld chained the journal with");
  verify->add_flag("--accept-journal-damage", o->accept_damage,
                   "check what precedes damage found in the write-ahead log");
}

}  // namespace qcall::cli
