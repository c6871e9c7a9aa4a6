// qcall-load's city sends each hall's counters, kiosks and boards to the
// node that serves it and its boards follow a hall that moves: run through
// a node that serves no hall and whose every stream ends, after relaying
// the owner's stream up to a call, saying the hall moved, every cycle still
// succeeds and every board sees every call of its hall exactly once (the
// load's exit code).
#include <filesystem>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "bench/city_load.h"
#include "bench/load_tools.h"
#include "gtest/gtest.h"
#include "tests/common/elsewhere_node.h"

#ifndef QCALLD_PATH
#error "QCALLD_PATH must name the qcalld binary"
#endif

namespace qcall {
namespace {

TEST(CityFollowTest, EveryHallIsLoadedAtItsOwnerAndItsBoardsFollowMoves) {
  const std::filesystem::path work =
      std::filesystem::temp_directory_path() /
      absl::StrCat("city-follow-test-", getpid());
  std::filesystem::create_directories(work);
  CityLoadOptions options;
  options.halls = 6;
  options.boards_per_hall = 2;
  options.seconds = 2;
  options.call_interval_ms = 300;
  options.board_connections = 2;
  {
    const std::unique_ptr<load::Child> owner =
        load::StartQcalld(QCALLD_PATH, {}, work, CityConfig(options));
    testing::ElsewhereNode elsewhere(owner->target());
    elsewhere.relay_until_call = true;
    options.entry = elsewhere.address();
    EXPECT_EQ(RunCityLoad(options), 0);
    // Every hall's first calls and every board's first stream came here.
    EXPECT_GE(elsewhere.asked(), options.halls * (options.windows_per_hall +
                                                  options.boards_per_hall));
  }
  std::filesystem::remove_all(work);
}

}  // namespace
}  // namespace qcall
