// A city's load on one qcalld: many halls, a few boards each, every hall's
// counters calling about once a second and its kiosks issuing at the same
// rate, which is what a server carrying a city's halls sees (unlike the
// one-hall benchmark's many boards on a single hall).
//
//   build/bench/qcall-load --halls 2000 --boards-per-hall 5 --duration 30
//
// Reports the time from sending CallNext to its TicketCalled arriving on
// each of the hall's boards (p50, p99, p99.9), qcalld's memory at rest, with
// every board subscribed (and so per idle board) and at its peak, and
// whether every board saw every call of its hall. Each hall's clients go to
// the node that serves it, and its boards follow it when it moves.
#ifndef QCALL_BENCH_CITY_LOAD_H_
#define QCALL_BENCH_CITY_LOAD_H_

#include <string>
#include <vector>

namespace qcall {

struct CityLoadOptions {
  std::string qcalld;
  std::vector<std::string> qcalld_args;
  int halls = 200;
  int boards_per_hall = 5;
  int windows_per_hall = 2;
  double seconds = 10;
  // Mean time between a hall's calls (exponential); one ticket is issued
  // before each call, so kiosks issue at the same rate.
  int call_interval_ms = 1000;
  int board_connections = 8;
  // A running node (host:port) to load instead of a qcalld started here; it
  // and the nodes it names serve CityConfig's halls. Each hall's counters,
  // kiosks and boards follow the owner a node names (hall_routes.h).
  std::string entry;
};

// The halls and tokens of the load, a qcalld configuration.
std::string CityConfig(const CityLoadOptions& options);

// Runs the load and prints its figures; 0 when every call was made and
// seen by every board of its hall.
int RunCityLoad(const CityLoadOptions& options);

}  // namespace qcall

#endif  // QCALL_BENCH_CITY_LOAD_H_
