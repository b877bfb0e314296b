// Static files (net/static_files.hpp): what is served from a web root and what never is.
#include "net/static_files.hpp"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>

namespace rookery::net {
namespace {

namespace fs = std::filesystem;
namespace bhttp = boost::beast::http;

class StaticFilesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "rookery-static-XXXXXX").string();
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
    root_ = dir_ / "www";
    fs::create_directories(root_ / "sub");
    write(root_ / "index.html", "<h1>game</h1>");
    write(root_ / "app.js", "console.log(1)");
    write(root_ / "sub" / "page.txt", "inside");
    write(root_ / ".env", "SECRET=1");
    fs::create_directories(root_ / ".git");
    write(root_ / ".git" / "config", "[core]");
    write(root_ / "sub" / ".htpasswd", "user:hash");
    write(dir_ / "outside.txt", "private");
    fs::create_symlink(dir_ / "outside.txt", root_ / "leak.txt");
    fs::create_directory_symlink(dir_, root_ / "up");
    fs::create_symlink(root_ / "app.js", root_ / "alias.js");  // inside the root: fine
  }
  void TearDown() override { fs::remove_all(dir_); }

  static void write(const fs::path& p, const std::string& text) { std::ofstream(p) << text; }

  StaticResponse get(const std::string& target, bhttp::verb verb = bhttp::verb::get) {
    HttpRequest req{verb, target, 11};
    return serve_static(req, root_.string(), "");
  }
  static int status(const StaticResponse& r) {
    return r.file ? r.file->result_int() : r.small.result_int();
  }

  fs::path dir_, root_;
};

TEST_F(StaticFilesTest, ServesFilesFromTheRootStreamedNotCopied) {
  const auto index = get("/");
  ASSERT_TRUE(index.file);
  EXPECT_EQ(index.file->result_int(), 200);
  EXPECT_EQ(index.file->body().size(), 13u);  // the open file, read as it is written
  EXPECT_EQ((*index.file)[bhttp::field::content_length], "13");
  EXPECT_EQ((*index.file)[bhttp::field::content_type], "text/html; charset=utf-8");
  EXPECT_EQ(status(get("/sub/page.txt")), 200);
  EXPECT_EQ(status(get("/app.js?v=3")), 200);
  EXPECT_EQ(status(get("/alias.js")), 200);
}

TEST_F(StaticFilesTest, SymlinksOutOfTheRootAreNotFollowed) {
  EXPECT_EQ(status(get("/leak.txt")), 404);
  EXPECT_EQ(status(get("/up/outside.txt")), 404);
}

TEST_F(StaticFilesTest, DotfilesAreNeverServed) {
  EXPECT_EQ(status(get("/.env")), 404);
  EXPECT_EQ(status(get("/.git/config")), 404);
  EXPECT_EQ(status(get("/sub/.htpasswd")), 404);
}

TEST_F(StaticFilesTest, ClimbingOutIsRefused) {
  EXPECT_EQ(status(get("/../outside.txt")), 400);
  EXPECT_EQ(status(get("/sub/..%2f..%2foutside.txt")), 400);
  EXPECT_EQ(status(get("/missing.js")), 404);
  EXPECT_EQ(status(get("/", bhttp::verb::post)), 405);
}

TEST_F(StaticFilesTest, HeadGivesTheRealContentLengthAndNoBody) {
  const auto head = get("/app.js", bhttp::verb::head);
  EXPECT_FALSE(head.file);
  EXPECT_EQ(head.small.result_int(), 200);
  EXPECT_EQ(head.small[bhttp::field::content_length], "14");
  EXPECT_TRUE(head.small.body().empty());
}

}  // namespace
}  // namespace rookery::net
