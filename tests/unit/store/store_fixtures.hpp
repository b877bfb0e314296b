// Shared by the store tests: quiet logs and a temporary folder removed after each test.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <random>
#include <string>

#include "base/log.hpp"

namespace rookery::store::testing_support {

/// Keeps the store's logging to warnings and errors while tests run.
class QuietLogs : public ::testing::Environment {
 public:
  void SetUp() override { log::configure(log::Level::warn, log::Format::text); }
};

/// A fresh folder per test, removed with everything in it afterwards.
class TempDir {
 public:
  explicit TempDir(const std::string& prefix = "rookery-test") {
    std::random_device rd;
    dir_ = std::filesystem::temp_directory_path() /
           (prefix + "-" + std::to_string(::getpid()) + "-" + std::to_string(rd()));
    std::filesystem::create_directories(dir_);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::filesystem::path& dir() const { return dir_; }
  /// The database path, one folder deeper so the store's folder creation is exercised.
  std::string db() const { return (dir_ / "data" / "rookery.db").string(); }
  /// A path for `name` inside the folder.
  std::string path(const std::string& name) const { return (dir_ / name).string(); }

 private:
  std::filesystem::path dir_;
};

}  // namespace rookery::store::testing_support
