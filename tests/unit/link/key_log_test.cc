// The NSS key log (digest §14): the file's format and mode, and that a context writes one
// CLIENT_RANDOM line per session only when it was given a path.
#include "p2psip/link/key_log.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "secure_test_util.h"

namespace p2psip::link {
namespace {

using namespace ::p2psip::link::testing;  // NOLINT(build/namespaces)
namespace fs = std::filesystem;

// A fresh directory per test, removed even when the test fails.
class KeyLogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::path(::testing::TempDir()) /
           ("p2psip_keylog_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::vector<std::string> Lines(const fs::path& p) {
    std::ifstream in(p);
    std::vector<std::string> out;
    for (std::string line; std::getline(in, line);) out.push_back(line);
    return out;
  }
  // "CLIENT_RANDOM <64 hex> <96 hex>" (no std::regex: GCC 12 warns inside it under ASan).
  static bool IsClientRandomLine(const std::string& line) {
    auto hex = [&](size_t from, size_t n) {
      if (line.size() < from + n) return false;
      for (size_t i = from; i < from + n; ++i) {
        const char c = line[i];
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
      }
      return true;
    };
    return line.size() == 14 + 64 + 1 + 96 && line.rfind("CLIENT_RANDOM ", 0) == 0 && hex(14, 64) &&
           line[78] == ' ' && hex(79, 96);
  }
  mode_t Mode(const fs::path& p) {
    struct stat st {};
    EXPECT_EQ(::stat(p.c_str(), &st), 0);
    return st.st_mode & 0777;
  }

  fs::path dir_;
};

TEST_F(KeyLogTest, AppendsWholeLinesToAPrivateFile) {
  const fs::path path = dir_ / "keys.log";
  {
    std::ofstream existing(path);
    existing << "CLIENT_RANDOM aa bb\n";
  }
  ::chmod(path.c_str(), 0644);
  auto log = KeyLog::Open(path.string());
  ASSERT_TRUE(log.ok()) << log.status();
  EXPECT_EQ(Mode(path), 0600u);
  (*log)->Write("CLIENT_RANDOM 01 02");
  (*log)->Write("two\nlines");  // refused: it would forge a second line
  (*log)->Write("");
  EXPECT_EQ((*log)->lines_written(), 1u);
  EXPECT_EQ((*log)->write_errors(), 2u);
  // Flushed per line: visible before the log is closed.
  EXPECT_EQ(Lines(path), (std::vector<std::string>{"CLIENT_RANDOM aa bb", "CLIENT_RANDOM 01 02"}));
}

TEST_F(KeyLogTest, CreatesWithMode0600AndReportsErrors) {
  const fs::path path = dir_ / "new.log";
  auto log = KeyLog::Open(path.string());
  ASSERT_TRUE(log.ok()) << log.status();
  EXPECT_EQ(Mode(path), 0600u);
  EXPECT_EQ(KeyLog::Open("").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_FALSE(KeyLog::Open((dir_ / "missing" / "x.log").string()).ok());
}

// DTLS and TLS: the server's context logs, the clients' do not.
class ContextKeyLogTest : public KeyLogTest,
                          public ::testing::WithParamInterface<SecureTransport> {};

TEST_P(ContextKeyLogTest, OneClientRandomLinePerSessionOnlyWhenEnabled) {
  const SignatureScheme s = SignatureScheme::kEcdsaP256Sha256;
  const Identity a = Issue(Ca(s), s, 0, 0xA1), b = Issue(Ca(s), s, 1, 0xB2);
  const fs::path path = dir_ / "sslkeylog.txt";
  auto logging = MakeContext(b, s, GetParam(), path.string());
  auto quiet_server = MakeContext(b, s, GetParam());
  auto quiet_client = MakeContext(a, s, GetParam());
  ASSERT_NE(logging, nullptr);
  ASSERT_NE(logging->key_log(), nullptr);
  EXPECT_EQ(quiet_server->key_log(), nullptr);

  // Disabled: sessions of contexts without a path write nothing.
  SessionPair quiet = Connect(quiet_client, quiet_server, b.id, a.id);
  ASSERT_TRUE(quiet.server.established()) << quiet.server.status();
  EXPECT_TRUE(Lines(path).empty());

  for (int i = 0; i < 2; ++i) {
    SessionPair p = Connect(quiet_client, logging, b.id, a.id);
    ASSERT_TRUE(p.server.established()) << p.server.status();
  }
  const std::vector<std::string> lines = Lines(path);
  ASSERT_EQ(lines.size(), 2u);
  for (const std::string& line : lines) EXPECT_TRUE(IsClientRandomLine(line)) << line;
  EXPECT_FALSE(IsClientRandomLine(lines[0] + "0"));             // the check itself can say no
  EXPECT_NE(lines[0].substr(14, 64), lines[1].substr(14, 64));  // two sessions, two randoms
  EXPECT_EQ(logging->key_log()->lines_written(), 2u);
  EXPECT_EQ(Mode(path), 0600u);
}

INSTANTIATE_TEST_SUITE_P(Transports, ContextKeyLogTest,
                         ::testing::Values(SecureTransport::kDatagram, SecureTransport::kStream),
                         [](const auto& test) {
                           return test.param == SecureTransport::kDatagram ? "dtls" : "tls";
                         });

}  // namespace
}  // namespace p2psip::link
