#include "engine/hall_texts.h"

#include "gtest/gtest.h"

namespace qcall {
namespace {

TEST(FormatTicketNumberTest, PadsToWidth) {
  EXPECT_EQ(FormatTicketNumber("A", 12, 3), "A012");
  EXPECT_EQ(FormatTicketNumber("VIP", 7, 4), "VIP0007");
  EXPECT_EQ(FormatTicketNumber("A", 0, 1), "A0");
}

TEST(FormatTicketNumberTest, NeverCutsAWideNumber) {
  // Peers showed 1234 as "234" on a 3-digit board.
  EXPECT_EQ(FormatTicketNumber("A", 1234, 3), "A1234");
  EXPECT_EQ(FormatTicketNumber("B", 4294967295u, 2), "B4294967295");
}

TEST(FormatAnnouncementTest, ChineseSentence) {
  std::string out = "stale";
  FormatAnnouncement(v1::LANGUAGE_ZH, "A012", 3, &out);
  EXPECT_EQ(out, "请 A012 号到 3 号窗口办理");
  FormatAnnouncement(v1::LANGUAGE_UNSPECIFIED, "B001", 12, &out);
  EXPECT_EQ(out, "请 B001 号到 12 号窗口办理");
}

TEST(FormatAnnouncementTest, EnglishSentence) {
  std::string out;
  FormatAnnouncement(v1::LANGUAGE_EN, "A012", 3, &out);
  EXPECT_EQ(out, "Ticket A012, please go to window 3");
}

}  // namespace
}  // namespace qcall
