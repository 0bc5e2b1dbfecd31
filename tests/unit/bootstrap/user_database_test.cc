// The users database (salted PBKDF2, never the password) and the issued Node-IDs store.
#include "p2psip/bootstrap/user_database.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <set>
#include <string>

#include "p2psip/bootstrap/file_util.h"
#include "p2psip/bootstrap/issued_node_ids.h"
#include "temp_dir.h"

namespace p2psip::bootstrap {
namespace {

constexpr uint32_t kFast = 1000;  // the minimum iteration count, to keep the tests quick

TEST(UserDatabaseTest, ChecksPasswordsAndUpdates) {
  UserDatabase db;
  ASSERT_TRUE(db.SetPassword("alice@example.org", "correct horse", kFast).ok());
  EXPECT_TRUE(db.Contains("alice@example.org"));
  EXPECT_TRUE(db.Check("alice@example.org", "correct horse"));
  EXPECT_FALSE(db.Check("alice@example.org", "correct hors"));
  EXPECT_FALSE(db.Check("alice@example.org", ""));
  EXPECT_FALSE(db.Check("bob", "correct horse"));
  ASSERT_TRUE(db.SetPassword("alice@example.org", "battery staple", kFast).ok());
  EXPECT_FALSE(db.Check("alice@example.org", "correct horse"));
  EXPECT_TRUE(db.Check("alice@example.org", "battery staple"));
  EXPECT_EQ(db.size(), 1u);
}

TEST(UserDatabaseTest, RefusesBadNamesPasswordsAndIterations) {
  UserDatabase db;
  EXPECT_FALSE(db.SetPassword("", "p", kFast).ok());
  EXPECT_FALSE(db.SetPassword("a b", "p", kFast).ok());
  EXPECT_FALSE(db.SetPassword("caf\xc3\xa9", "p", kFast).ok());
  EXPECT_FALSE(db.SetPassword(std::string(256, 'a'), "p", kFast).ok());
  EXPECT_FALSE(db.SetPassword("a", "", kFast).ok());
  EXPECT_FALSE(db.SetPassword("a", "p", 10).ok());
  EXPECT_EQ(db.size(), 0u);
}

TEST(UserDatabaseTest, SavesHashesOnlyWithMode0600AndLoadsBack) {
  testing::TempDir dir;
  ASSERT_FALSE(dir.path().empty());
  const std::string path = dir.path() + "/users";
  absl::StatusOr<UserDatabase> empty = UserDatabase::Load(path);  // missing file: empty
  ASSERT_TRUE(empty.ok());
  EXPECT_EQ(empty->size(), 0u);
  UserDatabase db;
  ASSERT_TRUE(db.SetPassword("alice", "s3cret-password", kFast).ok());
  ASSERT_TRUE(db.SetPassword("bob", "hunter2", kFast).ok());
  ASSERT_TRUE(db.Save(path).ok());
  struct stat st;
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  const std::string text = *ReadFileBounded(path, 1 << 20);
  EXPECT_EQ(text.find("s3cret-password"), std::string::npos);
  EXPECT_EQ(text.find("hunter2"), std::string::npos);
  EXPECT_NE(text.find("alice pbkdf2-sha256 1000 "), std::string::npos);
  absl::StatusOr<UserDatabase> back = UserDatabase::Load(path);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->size(), 2u);
  EXPECT_TRUE(back->Check("alice", "s3cret-password"));
  EXPECT_TRUE(back->Check("bob", "hunter2"));
  EXPECT_FALSE(back->Check("bob", "s3cret-password"));
}

TEST(UserDatabaseTest, SameNameSamePasswordGetsDifferentSalts) {
  testing::TempDir dir;
  UserDatabase a, b;
  ASSERT_TRUE(a.SetPassword("u", "pw", kFast).ok());
  ASSERT_TRUE(b.SetPassword("u", "pw", kFast).ok());
  ASSERT_TRUE(a.Save(dir.path() + "/a").ok());
  ASSERT_TRUE(b.Save(dir.path() + "/b").ok());
  EXPECT_NE(*ReadFileBounded(dir.path() + "/a", 4096), *ReadFileBounded(dir.path() + "/b", 4096));
}

TEST(UserDatabaseTest, MalformedFileIsAnError) {
  testing::TempDir dir;
  const std::string path = dir.path() + "/users";
  for (const char* text : {"alice plain 1000 00 00\n", "alice pbkdf2-sha256 1000 zz 00\n",
                           "alice pbkdf2-sha256 10 00 "
                           "0000000000000000000000000000000000000000000000000000000000000000\n",
                           "alice pbkdf2-sha256 1000 00\n"}) {
    ASSERT_TRUE(WriteFileAtomic(path, text, 0600).ok());
    absl::StatusOr<UserDatabase> db = UserDatabase::Load(path);
    EXPECT_FALSE(db.ok()) << text;
    if (!db.ok()) {
      EXPECT_NE(db.status().message().find(":1:"), absl::string_view::npos);
    }
  }
}

TEST(IssuedNodeIdsTest, ReissuesTheSameIdsAndTopsUp) {
  testing::TempDir dir;
  const std::string path = dir.path() + "/issued";
  IssuedNodeIds issued = *IssuedNodeIds::Load(path);
  bool added = false;
  const std::vector<NodeId> first = *issued.Assign("alice", 1, 16, &added);
  EXPECT_TRUE(added);
  ASSERT_EQ(first.size(), 1u);
  EXPECT_EQ(first[0].size(), 16u);
  EXPECT_EQ(*issued.Assign("alice", 1, 16, &added), first);
  EXPECT_FALSE(added);
  const std::vector<NodeId> three = *issued.Assign("alice", 3, 16, &added);
  EXPECT_TRUE(added);
  ASSERT_EQ(three.size(), 3u);
  EXPECT_EQ(three[0], first[0]);
  EXPECT_EQ(std::set<NodeId>(three.begin(), three.end()).size(), 3u);
  const std::vector<NodeId> bob = *issued.Assign("bob", 1, 16, &added);
  EXPECT_NE(bob[0], first[0]);
  EXPECT_FALSE(issued.Assign("x", 1, 15, &added).ok());

  ASSERT_TRUE(issued.Save(path).ok());
  IssuedNodeIds back = *IssuedNodeIds::Load(path);
  ASSERT_NE(back.Find("alice"), nullptr);
  EXPECT_EQ(*back.Find("alice"), three);
  EXPECT_EQ(*back.Assign("alice", 2, 16, &added),
            std::vector<NodeId>(three.begin(), three.begin() + 2));
  EXPECT_FALSE(added);

  ASSERT_TRUE(WriteFileAtomic(path, "alice nothex\n", 0600).ok());
  EXPECT_FALSE(IssuedNodeIds::Load(path).ok());
}

}  // namespace
}  // namespace p2psip::bootstrap
