#include "dispatcher/qr_svg.h"

#include <qrencode.h>

#include <algorithm>
#include <cstdlib>
#include <memory>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace qcall {
namespace {

constexpr int kQuiet = 4;  // The quiet zone the standard asks for.

// The dark modules an SVG of QrSvg draws, by row, in viewBox units.
struct DrawnSymbol {
  int view_size = 0;
  std::vector<std::vector<bool>> dark;  // [y][x] over the whole viewBox.
};

::testing::AssertionResult ReadSvg(const std::string& svg, DrawnSymbol* out) {
  std::smatch match;
  if (!std::regex_search(
          svg, match,
          std::regex(R"(^<svg xmlns="http://www.w3.org/2000/svg")"
                     R"re( viewBox="0 0 (\d+) (\d+)")re"))) {
    return ::testing::AssertionFailure() << "no SVG root with a viewBox";
  }
  if (match[1] != match[2]) {
    return ::testing::AssertionFailure() << "the viewBox is not square";
  }
  if (svg.size() < 6 || svg.compare(svg.size() - 6, 6, "</svg>") != 0) {
    return ::testing::AssertionFailure() << "the SVG does not end in </svg>";
  }
  out->view_size = std::stoi(match[1]);
  out->dark.assign(out->view_size, std::vector<bool>(out->view_size, false));
  // (No std::regex over the path: libstdc++'s recursion overflows the stack
  // on the tens of kilobytes of a large symbol.)
  const std::string path_start = R"(<path fill="#000" d=")";
  const size_t from = svg.find(path_start);
  const size_t to = from == std::string::npos
                        ? std::string::npos
                        : svg.find('"', from + path_start.size());
  if (to == std::string::npos) {
    return ::testing::AssertionFailure() << "no path of dark modules";
  }
  // Each module is a unit square "Mx,yh1v1h-1z"; nothing else may appear.
  std::istringstream d(
      svg.substr(from + path_start.size(), to - from - path_start.size()));
  for (char m; d >> m;) {
    int x = -1;
    int y = -1;
    char comma = 0;
    std::string rest(8, '\0');
    if (m != 'M' || !(d >> x >> comma >> y) || comma != ',' ||
        !d.read(rest.data(), 8) || rest != "h1v1h-1z") {
      return ::testing::AssertionFailure()
             << "unexpected path data at " << d.tellg();
    }
    if (x < 0 || y < 0 || x >= out->view_size || y >= out->view_size) {
      return ::testing::AssertionFailure()
             << "module " << x << "," << y << " outside the viewBox";
    }
    out->dark[y][x] = true;
  }
  return ::testing::AssertionSuccess();
}

// A finder pattern whose top-left module is at (x, y) in symbol units: a
// 7x7 dark ring, a light ring, a dark 3x3 core, and a light separator.
bool IsFinderAt(const DrawnSymbol& s, int x, int y) {
  for (int dy = -1; dy <= 7; ++dy) {
    for (int dx = -1; dx <= 7; ++dx) {
      const int ring = std::max(std::abs(dx - 3), std::abs(dy - 3));
      const bool want_dark = ring == 3 || ring <= 1;
      if (s.dark[kQuiet + y + dy][kQuiet + x + dx] != want_dark) return false;
    }
  }
  return true;
}

using QrPtr = std::unique_ptr<QRcode, decltype(&QRcode_free)>;

TEST(QrSvgTest, DrawsTheSymbolLibqrencodeEncodes) {
  const std::string text = "http://192.168.1.20:8080/t/sh-xujiahui/A0012";
  absl::StatusOr<std::string> svg = QrSvg(text);
  ASSERT_TRUE(svg.ok()) << svg.status();
  DrawnSymbol drawn;
  ASSERT_TRUE(ReadSvg(*svg, &drawn)) << *svg;

  QrPtr code(QRcode_encodeString8bit(text.c_str(), 0, QR_ECLEVEL_M),
             &QRcode_free);
  ASSERT_NE(code, nullptr);
  const int width = code->width;
  EXPECT_EQ((width - 17) % 4, 0) << "a QR symbol is 17 + 4 * version wide";
  EXPECT_EQ(drawn.view_size, width + 2 * kQuiet);
  for (int y = 0; y < drawn.view_size; ++y) {
    for (int x = 0; x < drawn.view_size; ++x) {
      const bool in_symbol = x >= kQuiet && y >= kQuiet && x < kQuiet + width &&
                             y < kQuiet + width;
      const bool want =
          in_symbol &&
          (code->data[(y - kQuiet) * width + (x - kQuiet)] & 1) != 0;
      ASSERT_EQ(drawn.dark[y][x], want) << "module " << x << "," << y;
    }
  }
}

TEST(QrSvgTest, FinderAndTimingPatternsSitWhereReadersLook) {
  absl::StatusOr<std::string> svg = QrSvg("http://hall/t/it-hall/B0042");
  ASSERT_TRUE(svg.ok()) << svg.status();
  DrawnSymbol drawn;
  ASSERT_TRUE(ReadSvg(*svg, &drawn));
  const int width = drawn.view_size - 2 * kQuiet;
  ASSERT_GE(width, 21);
  // The separators of the finders may reach into the quiet zone only as
  // light modules, which is what IsFinderAt checks around each.
  EXPECT_TRUE(IsFinderAt(drawn, 0, 0));
  EXPECT_TRUE(IsFinderAt(drawn, width - 7, 0));
  EXPECT_TRUE(IsFinderAt(drawn, 0, width - 7));
  EXPECT_FALSE(IsFinderAt(drawn, width - 7, width - 7))
      << "the bottom right corner has no finder (that is how readers orient)";
  // Row 6 and column 6 alternate dark and light between the finders.
  for (int i = 8; i < width - 8; ++i) {
    EXPECT_EQ(drawn.dark[kQuiet + 6][kQuiet + i], i % 2 == 0) << "row 6, " << i;
    EXPECT_EQ(drawn.dark[kQuiet + i][kQuiet + 6], i % 2 == 0) << "col 6, " << i;
  }
}

TEST(QrSvgTest, LongerTextsGetLargerSymbols) {
  DrawnSymbol small;
  DrawnSymbol large;
  absl::StatusOr<std::string> a = QrSvg("A0001");
  absl::StatusOr<std::string> b = QrSvg(std::string(kMaxQrTextBytes, 'x'));
  ASSERT_TRUE(a.ok()) << a.status();
  ASSERT_TRUE(b.ok()) << b.status();
  ASSERT_TRUE(ReadSvg(*a, &small));
  ASSERT_TRUE(ReadSvg(*b, &large));
  EXPECT_EQ(small.view_size, 21 + 2 * kQuiet) << "version 1";
  EXPECT_GT(large.view_size, small.view_size);
  EXPECT_TRUE(IsFinderAt(large, 0, 0));
}

TEST(QrSvgTest, RefusesEmptyAndOverlongTexts) {
  EXPECT_EQ(QrSvg("").status().code(), absl::StatusCode::kInvalidArgument);
  const absl::Status too_long =
      QrSvg(std::string(kMaxQrTextBytes + 1, 'x')).status();
  EXPECT_EQ(too_long.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_FALSE(too_long.message().empty());
}

// The text comes from a query parameter, where %00 decodes to a NUL byte: the
// symbol must carry every byte of it (or the text be refused), never quietly
// only the part before the NUL.
TEST(QrSvgTest, TextWithANulByteIsEncodedWholeOrRefused) {
  const std::string text("A0001\0evil", 10);
  absl::StatusOr<std::string> svg = QrSvg(text);
  if (!svg.ok()) {
    EXPECT_EQ(svg.status().code(), absl::StatusCode::kInvalidArgument);
    return;
  }
  absl::StatusOr<std::string> truncated = QrSvg("A0001");
  ASSERT_TRUE(truncated.ok());
  EXPECT_TRUE(*svg != *truncated)
      << "only the bytes before the NUL were encoded";
}

}  // namespace
}  // namespace qcall
