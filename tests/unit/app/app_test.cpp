// The executable's start-up helpers: finding the browser bundles beside the binary, and the
// first admin user (from the environment, or generated with its password in a file).
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <future>

#include "app/admin_command.hpp"
#include "app/assets.hpp"
#include "store/sqlite_store.hpp"
#include "store/store_fixtures.hpp"

namespace rookery::app {
namespace {

namespace fs = std::filesystem;
using store::testing_support::TempDir;

::testing::Environment* const kQuietLogs =
    ::testing::AddGlobalTestEnvironment(new store::testing_support::QuietLogs);

void touch(const fs::path& p) {
  fs::create_directories(p.parent_path());
  std::ofstream(p) << "<html></html>";
}

TEST(AssetRoot, FindsTheBundleBesideTheExecutable) {
  TempDir t;
  touch(t.dir() / "share" / "rookery" / "web" / "index.html");
  const auto r = resolve_asset_root("", "web", (t.dir() / "bin" / "rookery").string());
  EXPECT_EQ(r.problem, "");
  EXPECT_EQ(r.path, (t.dir() / "share" / "rookery" / "web").string());
}

TEST(AssetRoot, MissingBundleSaysHowToBuildIt) {
  TempDir t;
  const auto r = resolve_asset_root("", "admin-ui", (t.dir() / "bin" / "rookery").string());
  EXPECT_EQ(r.path, "");
  EXPECT_NE(r.problem.find("Node.js and npm"), std::string::npos) << r.problem;
}

TEST(AssetRoot, ConfiguredFolderWinsAndIsChecked) {
  TempDir t;
  touch(t.dir() / "mine" / "index.html");
  touch(t.dir() / "share" / "rookery" / "web" / "index.html");
  const auto exe = (t.dir() / "bin" / "rookery").string();
  const auto good = resolve_asset_root(t.path("mine"), "web", exe);
  EXPECT_EQ(good.path, t.path("mine"));
  EXPECT_EQ(good.problem, "");
  const auto empty = resolve_asset_root(t.path("nothing-here"), "web", exe);
  EXPECT_NE(empty.problem.find("no index.html"), std::string::npos);
}

TEST(AssetRoot, NoneServesNothing) {
  TempDir t;
  touch(t.dir() / "share" / "rookery" / "web" / "index.html");
  const auto r = resolve_asset_root("none", "web", (t.dir() / "bin" / "rookery").string());
  EXPECT_EQ(r.path, "");
  EXPECT_FALSE(r.problem.empty());
}

TEST(AssetRoot, ExecutablePathIsThisTest) {
  EXPECT_EQ(fs::path(executable_path()).filename(), "app_test");
}

// A real SQLite store in a temporary folder.
struct FirstAdmin : ::testing::Test {
  TempDir t;
  std::unique_ptr<store::SqliteStore> open() {
    store::StoreOptions o;
    o.path = t.db();
    return std::make_unique<store::SqliteStore>(o);
  }
  static int64_t admins(store::AdminStore& s) {
    std::promise<int64_t> p;
    s.count_admins([&](store::Status, int64_t n) { p.set_value(n); });
    return p.get_future().get();
  }
  static store::Status admin_login(store::AdminStore& s, const std::string& user,
                                   const std::string& pass) {
    std::promise<store::Status> p;
    s.verify_admin(user, pass, [&](store::Status st, store::AdminUser) { p.set_value(st); });
    return p.get_future().get();
  }
  static std::string first_line(const std::string& path) {
    std::ifstream in(path);
    std::string line;
    std::getline(in, line);
    return line;
  }
};

TEST_F(FirstAdmin, NothingConfiguredMakesAdminWithAPasswordFileOnlyTheOwnerReads) {
  auto s = open();
  const std::string file = t.path("admin-password");
  const std::string hint = ensure_first_admin(*s, file, nullptr, nullptr);
  EXPECT_EQ(hint, "user admin, password in " + file);
  EXPECT_EQ(admins(*s), 1);
  struct stat st {};
  ASSERT_EQ(::stat(file.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600);
  const std::string password = first_line(file);
  EXPECT_GE(password.size(), 16u);
  EXPECT_EQ(admin_login(*s, "admin", password), store::Status::ok);
  // A second start keeps the user and the file.
  EXPECT_EQ(ensure_first_admin(*s, file, nullptr, nullptr), hint);
  EXPECT_EQ(admins(*s), 1);
  EXPECT_EQ(first_line(file), password);
}

TEST_F(FirstAdmin, AnExistingPasswordFileIsReusedForANewDatabase) {
  const std::string file = t.path("admin-password");
  std::ofstream(file) << "a-password-kept-by-the-operator\n";
  auto s = open();
  ensure_first_admin(*s, file, nullptr, nullptr);
  EXPECT_EQ(admin_login(*s, "admin", "a-password-kept-by-the-operator"), store::Status::ok);
}

TEST_F(FirstAdmin, EnvironmentWinsAndWritesNoFile) {
  auto s = open();
  const std::string file = t.path("admin-password");
  const std::string hint = ensure_first_admin(*s, file, "ops", "ops-password-1");
  EXPECT_EQ(hint, "user ops, password from ROOKERY_ADMIN_PASSWORD");
  EXPECT_FALSE(fs::exists(file));
  EXPECT_EQ(admin_login(*s, "ops", "ops-password-1"), store::Status::ok);
}

TEST_F(FirstAdmin, HalfAnEnvironmentMakesNobody) {
  auto s = open();
  const std::string file = t.path("admin-password");
  ensure_first_admin(*s, file, "ops", nullptr);
  EXPECT_EQ(admins(*s), 0);
  EXPECT_FALSE(fs::exists(file));
}

TEST_F(FirstAdmin, NoPasswordFileMakesNobody) {
  auto s = open();
  const std::string hint = ensure_first_admin(*s, "", nullptr, nullptr);
  EXPECT_EQ(admins(*s), 0);
  EXPECT_NE(hint.find("rookery admin add-user"), std::string::npos);
}

}  // namespace
}  // namespace rookery::app
