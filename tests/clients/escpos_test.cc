// Decodes the printer's byte stream back into commands and printed lines, so
// the tests read what a printer would do rather than compare opaque bytes.
#include <iconv.h>

#include <cerrno>
#include <cstdint>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "clients/escpos/charset.h"
#include "clients/escpos/ticket_printout.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace qcall {
namespace {

using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::Field;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

// ---- A small ESC/POS decoder ----------------------------------------------

struct Command {
  enum Kind {
    kInit,        // ESC @
    kAlign,       // ESC a n
    kSize,        // GS ! n
    kChineseOn,   // FS &
    kChineseOff,  // FS .
    kQr,          // GS ( k pL pH cn fn ...: arg = fn, data = the rest
    kCut,         // GS V m [n]: arg = m, arg2 = n
    kLineFeed,    // LF
    kText,        // a run of printable bytes: data
  };
  Kind kind;
  int arg = 0;
  int arg2 = 0;
  std::string data = {};
};

// Fails on any byte it does not know, so a stray control byte (a command the
// renderer did not mean to send) shows up as an error.
absl::StatusOr<std::vector<Command>> Decode(absl::string_view bytes) {
  std::vector<Command> commands;
  size_t i = 0;
  const auto byte = [&bytes](size_t at) -> absl::StatusOr<uint8_t> {
    if (at >= bytes.size()) {
      return absl::InvalidArgumentError(
          absl::StrCat("command cut off at byte ", at));
    }
    return static_cast<uint8_t>(bytes[at]);
  };
  const auto unknown = [&bytes](size_t at) {
    return absl::InvalidArgumentError(absl::StrCat(
        "unknown command at byte ", at, ": 0x",
        absl::Hex(static_cast<uint8_t>(bytes[at])), " 0x",
        at + 1 < bytes.size()
            ? absl::StrCat(absl::Hex(static_cast<uint8_t>(bytes[at + 1])))
            : "end"));
  };
  while (i < bytes.size()) {
    const auto b = static_cast<uint8_t>(bytes[i]);
    if (b == 0x0A) {
      commands.push_back({Command::kLineFeed});
      i += 1;
    } else if (b >= 0x20 && b != 0x7F) {
      size_t end = i;
      while (end < bytes.size() && static_cast<uint8_t>(bytes[end]) >= 0x20 &&
             bytes[end] != 0x7F) {
        ++end;
      }
      commands.push_back(
          {Command::kText, 0, 0, std::string(bytes.substr(i, end - i))});
      i = end;
    } else if (b == 0x1B) {
      absl::StatusOr<uint8_t> op = byte(i + 1);
      if (!op.ok()) return op.status();
      if (*op == '@') {
        commands.push_back({Command::kInit});
        i += 2;
      } else if (*op == 'a') {
        absl::StatusOr<uint8_t> n = byte(i + 2);
        if (!n.ok()) return n.status();
        commands.push_back({Command::kAlign, *n});
        i += 3;
      } else {
        return unknown(i);
      }
    } else if (b == 0x1C) {
      absl::StatusOr<uint8_t> op = byte(i + 1);
      if (!op.ok()) return op.status();
      if (*op == '&') {
        commands.push_back({Command::kChineseOn});
      } else if (*op == '.') {
        commands.push_back({Command::kChineseOff});
      } else {
        return unknown(i);
      }
      i += 2;
    } else if (b == 0x1D) {
      absl::StatusOr<uint8_t> op = byte(i + 1);
      if (!op.ok()) return op.status();
      if (*op == '!') {
        absl::StatusOr<uint8_t> n = byte(i + 2);
        if (!n.ok()) return n.status();
        commands.push_back({Command::kSize, *n});
        i += 3;
      } else if (*op == 'V') {
        absl::StatusOr<uint8_t> m = byte(i + 2);
        if (!m.ok()) return m.status();
        if (*m == 65 || *m == 66 || *m == 97 || *m == 98 || *m == 103 ||
            *m == 104) {
          absl::StatusOr<uint8_t> n = byte(i + 3);
          if (!n.ok()) return n.status();
          commands.push_back({Command::kCut, *m, *n});
          i += 4;
        } else {
          commands.push_back({Command::kCut, *m});
          i += 3;
        }
      } else if (*op == '(' && i + 2 < bytes.size() && bytes[i + 2] == 'k') {
        absl::StatusOr<uint8_t> pl = byte(i + 3);
        absl::StatusOr<uint8_t> ph = byte(i + 4);
        if (!pl.ok() || !ph.ok()) return byte(bytes.size()).status();
        const size_t length = *pl + 256 * *ph;  // cn, fn and the parameters.
        if (length < 2 || i + 5 + length > bytes.size()) {
          return absl::InvalidArgumentError(
              absl::StrCat("GS ( k at byte ", i, " claims ", length, " bytes"));
        }
        if (bytes[i + 5] != '1') {
          return absl::InvalidArgumentError("GS ( k for a symbol not QR");
        }
        commands.push_back({Command::kQr, static_cast<uint8_t>(bytes[i + 6]), 0,
                            std::string(bytes.substr(i + 7, length - 2))});
        i += 5 + length;
      } else {
        return unknown(i);
      }
    } else {
      return unknown(i);
    }
  }
  return commands;
}

std::vector<Command> MustDecode(const std::string& bytes) {
  absl::StatusOr<std::vector<Command>> commands = Decode(bytes);
  EXPECT_TRUE(commands.ok()) << commands.status();
  return commands.ok() ? *std::move(commands) : std::vector<Command>{};
}

// Independent of the renderer's conversion on purpose: strict, no '?'.
std::string Gb18030ToUtf8(absl::string_view gb) {
  const iconv_t cd = iconv_open("UTF-8", "GB18030");
  if (cd == reinterpret_cast<iconv_t>(-1)) {
    ADD_FAILURE() << "no GB18030 in this system's iconv";
    return "";
  }
  std::string out(gb.size() * 4, '\0');
  char* in = const_cast<char*>(gb.data());
  size_t in_left = gb.size();
  char* out_next = out.data();
  size_t out_left = out.size();
  if (iconv(cd, &in, &in_left, &out_next, &out_left) ==
      static_cast<size_t>(-1)) {
    ADD_FAILURE() << "not GB18030: " << gb << " (errno " << errno << ")";
  }
  iconv_close(cd);
  out.resize(out_next - out.data());
  return out;
}

// What one line of paper shows, in UTF-8, and how; "[QR]" stands for the
// QR code.
struct PrintedLine {
  std::string text;
  int size = 0;
  int align = 0;
};

std::vector<PrintedLine> Lines(const std::vector<Command>& commands) {
  std::vector<PrintedLine> lines;
  PrintedLine current;
  bool chinese = false;
  for (const Command& c : commands) {
    switch (c.kind) {
      case Command::kInit:
        chinese = false;
        current = {};
        break;
      case Command::kAlign:
        current.align = c.arg;
        break;
      case Command::kSize:
        current.size = c.arg;
        break;
      case Command::kChineseOn:
        chinese = true;
        break;
      case Command::kChineseOff:
        chinese = false;
        break;
      case Command::kText:
        if (chinese) {
          current.text += Gb18030ToUtf8(c.data);
        } else {
          for (const char ch : c.data) {
            EXPECT_LT(static_cast<uint8_t>(ch), 0x80)
                << "a multi-byte character outside Chinese mode in " << c.data;
          }
          current.text += c.data;
        }
        break;
      case Command::kLineFeed:
        lines.push_back(current);
        current.text.clear();
        break;
      case Command::kQr:
        if (c.arg == 'Q') current.text += "[QR]";  // Where the symbol prints.
        break;
      case Command::kCut:
        break;
    }
  }
  EXPECT_THAT(current.text, IsEmpty()) << "text never fed out of the printer";
  return lines;
}

std::vector<std::string> Texts(const std::vector<PrintedLine>& lines) {
  std::vector<std::string> texts;
  for (const PrintedLine& line : lines) texts.push_back(line.text);
  return texts;
}

std::vector<std::string> PrintedTexts(const TicketPrintout& t) {
  return Texts(Lines(MustDecode(RenderEscPos(t))));
}

std::vector<Command> QrCommands(const std::vector<Command>& commands) {
  std::vector<Command> qr;
  for (const Command& c : commands) {
    if (c.kind == Command::kQr) qr.push_back(c);
  }
  return qr;
}

bool HasCommand(const std::vector<Command>& commands, Command::Kind kind) {
  for (const Command& c : commands) {
    if (c.kind == kind) return true;
  }
  return false;
}

TicketPrintout Xujiahui() {
  TicketPrintout t;
  t.hall_name = "上海徐家汇营业厅 Shanghai Xujiahui Business Hall";
  t.number = "A012";
  t.service_name = "话费缴纳 Bill payment";
  t.people_ahead = 3;
  t.estimated_wait_seconds = 512;
  t.zone = absl::FixedTimeZone(8 * 3600);
  t.issued_at =
      absl::FromCivil(absl::CivilSecond(2026, 11, 27, 9, 41, 30), t.zone);
  t.status_url = "https://q.example.cn/ticket/xjh/A012";
  return t;
}

TicketPrintout EnglishAsciiTicket() {
  TicketPrintout t = Xujiahui();
  t.hall_name = "Xujiahui Business Hall";
  t.service_name = "Bill payment";
  t.language = v1::LANGUAGE_EN;
  return t;
}

// ---- The layout
// --------------------------------------------------------------

TEST(RenderEscPosTest, StartsWithResetAndEndsWithPartialCut) {
  const std::vector<Command> commands = MustDecode(RenderEscPos(Xujiahui()));
  ASSERT_THAT(commands, Not(IsEmpty()));
  EXPECT_EQ(commands.front().kind, Command::kInit);
  EXPECT_EQ(commands.back().kind, Command::kCut);
  EXPECT_EQ(commands.back().arg, 66);  // Function B: feed, then partial cut.
  int cuts = 0;
  for (const Command& c : commands) cuts += c.kind == Command::kCut;
  EXPECT_EQ(cuts, 1);
}

TEST(RenderEscPosTest, PrintsEveryPartInOrderCentred) {
  const std::vector<PrintedLine> lines =
      Lines(MustDecode(RenderEscPos(Xujiahui())));
  EXPECT_THAT(
      Texts(lines),
      ElementsAre("上海徐家汇营业厅 Shanghai Xujiahui Business Hall", "",
                  "A012", "话费缴纳 Bill payment", "", "前面还有 3 人",
                  "预计等待 约 9 分钟", "取号时间 2026-11-27 09:41", "", "[QR]",
                  "扫码查看叫号进度", ""));
  for (const PrintedLine& line : lines) EXPECT_EQ(line.align, 1) << line.text;
}

TEST(RenderEscPosTest, NumberIsPrintedLargeAndOnlyTheNumber) {
  for (const PrintedLine& line : Lines(MustDecode(RenderEscPos(Xujiahui())))) {
    const int width = (line.size >> 4) + 1;
    const int height = (line.size & 0x0F) + 1;
    if (line.text == "A012") {
      EXPECT_GE(width, 2);
      EXPECT_GE(height, 2);
    } else {
      EXPECT_EQ(line.size, 0) << line.text;
    }
  }
}

TEST(RenderEscPosTest, StatusUrlIsANativeModel2QrCode) {
  const std::vector<Command> qr =
      QrCommands(MustDecode(RenderEscPos(Xujiahui())));
  ASSERT_EQ(qr.size(), 5u);
  EXPECT_EQ(qr[0].arg, 'A');                     // Model:
  EXPECT_EQ(qr[0].data, std::string("2\0", 2));  // 2.
  EXPECT_EQ(qr[1].arg, 'C');                     // Module size, in dots:
  ASSERT_EQ(qr[1].data.size(), 1u);
  EXPECT_GE(qr[1].data[0], 1);
  EXPECT_LE(qr[1].data[0], 16);
  EXPECT_EQ(qr[2].arg, 'E');   // Error correction:
  EXPECT_EQ(qr[2].data, "1");  // M.
  EXPECT_EQ(qr[3].arg, 'P');   // Store (m = '0') the data.
  EXPECT_EQ(qr[3].data, "0https://q.example.cn/ticket/xjh/A012");
  EXPECT_EQ(qr[4].arg, 'Q');  // Print.
  EXPECT_EQ(qr[4].data, "0");
}

TEST(RenderEscPosTest, NoQrCodeWithoutAUrl) {
  TicketPrintout t = Xujiahui();
  t.status_url.clear();
  const std::vector<Command> commands = MustDecode(RenderEscPos(t));
  EXPECT_THAT(QrCommands(commands), IsEmpty());
  EXPECT_THAT(Texts(Lines(commands)), Not(Contains("扫码查看叫号进度")));
}

TEST(RenderEscPosTest, NoQrCodeForAUrlTooLongForThePaper) {
  TicketPrintout t = Xujiahui();
  t.status_url = "https://q.example.cn/" + std::string(624 - 21, 'x');
  ASSERT_EQ(t.status_url.size(), 624u);
  EXPECT_THAT(QrCommands(MustDecode(RenderEscPos(t))), Not(IsEmpty()));
  t.status_url += "x";
  EXPECT_THAT(QrCommands(MustDecode(RenderEscPos(t))), IsEmpty());
}

// ---- Chinese ---------------------------------------------------------------

TEST(RenderEscPosTest, ChineseIsSentAsGb18030InChineseMode) {
  const std::string bytes = RenderEscPos(Xujiahui());
  // 上海 in GB18030 (and GB2312): what the printer's font is indexed by.
  EXPECT_THAT(bytes, HasSubstr("\xC9\xCF\xBA\xA3"));
  EXPECT_THAT(bytes, Not(HasSubstr("上海")));  // No UTF-8 left.

  const std::vector<Command> commands = MustDecode(bytes);
  size_t chinese_on = commands.size();
  size_t chinese_off = commands.size();
  size_t first_text = commands.size();
  for (size_t i = 0; i < commands.size(); ++i) {
    if (commands[i].kind == Command::kChineseOn) chinese_on = i;
    if (commands[i].kind == Command::kChineseOff) chinese_off = i;
    if (commands[i].kind == Command::kText && first_text == commands.size()) {
      first_text = i;
    }
  }
  EXPECT_LT(chinese_on, first_text);
  // Left again before the cut, so the next job starts in single-byte mode.
  EXPECT_EQ(chinese_off, commands.size() - 2);
}

TEST(RenderEscPosTest, UnspecifiedLanguageIsChinese) {
  TicketPrintout zh = Xujiahui();
  zh.language = v1::LANGUAGE_ZH;
  TicketPrintout unspecified = Xujiahui();
  unspecified.language = v1::LANGUAGE_UNSPECIFIED;
  EXPECT_EQ(RenderEscPos(unspecified), RenderEscPos(zh));
  EXPECT_THAT(PrintedTexts(zh), Contains("前面还有 3 人"));
}

TEST(RenderEscPosTest, EnglishLabels) {
  TicketPrintout t = Xujiahui();
  t.language = v1::LANGUAGE_EN;
  EXPECT_THAT(
      PrintedTexts(t),
      ElementsAre("上海徐家汇营业厅 Shanghai Xujiahui Business Hall", "",
                  "A012", "话费缴纳 Bill payment", "", "3 people ahead",
                  "Estimated wait: about 9 min", "Issued 2026-11-27 09:41", "",
                  "[QR]", "Scan to follow your ticket", ""));
}

TEST(RenderEscPosTest, OnePersonAheadIsSingularInEnglish) {
  TicketPrintout t = EnglishAsciiTicket();
  t.people_ahead = 1;
  EXPECT_THAT(PrintedTexts(t), Contains("1 person ahead"));
  t.people_ahead = 0;
  EXPECT_THAT(PrintedTexts(t), Contains("0 people ahead"));
}

TEST(RenderEscPosTest, AsciiTicketStaysInSingleByteMode) {
  const std::vector<Command> commands =
      MustDecode(RenderEscPos(EnglishAsciiTicket()));
  EXPECT_FALSE(HasCommand(commands, Command::kChineseOn));
  EXPECT_FALSE(HasCommand(commands, Command::kChineseOff));
  EXPECT_THAT(Texts(Lines(commands)), Contains("Xujiahui Business Hall"));
}

TEST(RenderEscPosTest, ChineseLabelsSwitchToChineseModeEvenForAsciiNames) {
  TicketPrintout t = EnglishAsciiTicket();
  t.language = v1::LANGUAGE_ZH;
  const std::vector<Command> commands = MustDecode(RenderEscPos(t));
  EXPECT_TRUE(HasCommand(commands, Command::kChineseOn));
  EXPECT_THAT(Texts(Lines(commands)), Contains("前面还有 3 人"));
}

// ---- Wait and time
// -----------------------------------------------------------

TEST(RenderEscPosTest, WaitIsRoundedUpToWholeMinutes) {
  struct Case {
    int64_t seconds;
    std::string zh;
    std::string en;
  };
  for (const Case& c : std::vector<Case>{
           {0, "预计等待 不到1分钟", "Estimated wait: less than a minute"},
           {59, "预计等待 不到1分钟", "Estimated wait: less than a minute"},
           {60, "预计等待 约 1 分钟", "Estimated wait: about 1 min"},
           {61, "预计等待 约 2 分钟", "Estimated wait: about 2 min"},
           {540, "预计等待 约 9 分钟", "Estimated wait: about 9 min"},
           {541, "预计等待 约 10 分钟", "Estimated wait: about 10 min"},
           {7200, "预计等待 约 120 分钟", "Estimated wait: about 120 min"},
       }) {
    TicketPrintout t = Xujiahui();
    t.estimated_wait_seconds = c.seconds;
    EXPECT_THAT(PrintedTexts(t), Contains(c.zh)) << c.seconds;
    t.language = v1::LANGUAGE_EN;
    EXPECT_THAT(PrintedTexts(t), Contains(c.en)) << c.seconds;
  }
}

TEST(RenderEscPosTest, TimeIsTheHallsLocalTime) {
  TicketPrintout t = Xujiahui();
  t.zone = absl::UTCTimeZone();  // Same instant, 8 hours earlier on the wall.
  EXPECT_THAT(PrintedTexts(t), Contains("取号时间 2026-11-27 01:41"));
}

// ---- Hostile or broken text ------------------------------------------------

TEST(RenderEscPosTest, ControlCharactersInTextsCannotBecomeCommands) {
  TicketPrintout t = Xujiahui();
  // ESC i is a full cut, GS V 0 another; LF would break the layout.
  t.hall_name = "Hall\x1bi\nTwo";
  t.service_name = std::string("Bill\x1dV\0", 7);
  const std::vector<Command> commands = MustDecode(RenderEscPos(t));
  int cuts = 0;
  for (const Command& c : commands) cuts += c.kind == Command::kCut;
  EXPECT_EQ(cuts, 1);
  const std::vector<std::string> texts = Texts(Lines(commands));
  EXPECT_THAT(texts, Contains("Hall i Two"));
  EXPECT_THAT(texts, Contains("Bill V "));
}

TEST(RenderEscPosTest, MalformedUtf8PrintsQuestionMarks) {
  TicketPrintout t = EnglishAsciiTicket();
  t.hall_name = "Hall \xff\xfe 徐汇";
  const std::vector<Command> commands = MustDecode(RenderEscPos(t));
  EXPECT_TRUE(HasCommand(commands, Command::kChineseOn));
  EXPECT_THAT(Texts(Lines(commands)), Contains("Hall ?? 徐汇"));
}

// ---- Charset conversion
// ------------------------------------------------------

TEST(ConvertFromUtf8Test, GbkAndFourByteGb18030) {
  EXPECT_EQ(Utf8ToGb18030("A上海"), "A\xC9\xCF\xBA\xA3");
  // U+20000 (CJK extension B) exists only in GB18030's four-byte range.
  EXPECT_EQ(Utf8ToGb18030("\xF0\xA0\x80\x80"), "\x95\x32\x82\x36");
}

TEST(ConvertFromUtf8Test, EachUnconvertibleCharacterIsOneQuestionMark) {
  EXPECT_EQ(ConvertFromUtf8("Hall 上海 A", "ASCII"), "Hall ?? A");
}

TEST(ConvertFromUtf8Test, TruncatedUtf8AtTheEndIsAQuestionMarkPerByte) {
  EXPECT_EQ(Utf8ToGb18030("上\xE6\xB5"), "\xC9\xCF??");
}

TEST(ConvertFromUtf8Test, UnknownCharsetKeepsAsciiOnly) {
  EXPECT_EQ(ConvertFromUtf8("Hall 上海 A", "NO-SUCH-CHARSET"), "Hall ?? A");
}

TEST(ConvertFromUtf8Test, LongTextsConvertCompletely) {
  std::string utf8;
  for (int i = 0; i < 1000; ++i) utf8 += "徐家汇";
  const std::string gb = Utf8ToGb18030(utf8);
  EXPECT_EQ(gb.size(), 6000u);
  EXPECT_EQ(Gb18030ToUtf8(gb), utf8);
}

// ---- Writing
// -----------------------------------------------------------------

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

TEST(WriteEscPosTest, WritesExactlyTheBytes) {
  const std::string path = ::testing::TempDir() + "/escpos_exact.bin";
  {
    std::ofstream old(path, std::ios::binary);
    old << std::string(10000, 'z');  // A longer earlier ticket.
  }
  const std::string bytes = RenderEscPos(Xujiahui());
  ASSERT_NE(bytes.find('\0'), std::string::npos);  // NULs must survive too.
  ASSERT_TRUE(WriteEscPos(bytes, path).ok());
  EXPECT_EQ(ReadFile(path), bytes);
}

TEST(WriteEscPosTest, MissingDirectoryIsAnErrorNamingThePath) {
  const std::string path =
      ::testing::TempDir() + "/no_such_directory/escpos.bin";
  const absl::Status status = WriteEscPos("x", path);
  EXPECT_EQ(status.code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(status.message(), HasSubstr(path));
}

TEST(WriteEscPosTest, AFailedWriteIsAnError) {
  if (!std::ifstream("/dev/full")) GTEST_SKIP() << "no /dev/full here";
  const absl::Status status =
      WriteEscPos(RenderEscPos(Xujiahui()), "/dev/full");
  EXPECT_FALSE(status.ok());
  EXPECT_THAT(status.message(), HasSubstr("/dev/full"));
}

}  // namespace
}  // namespace qcall
