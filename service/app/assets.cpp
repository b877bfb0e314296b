#include "app/assets.hpp"

#include <filesystem>
#include <system_error>

namespace rookery::app {

namespace fs = std::filesystem;

AssetRoot resolve_asset_root(const std::string& configured, const std::string& name,
                             const std::string& exe_path) {
  if (configured == "none") return {"", "disabled in the configuration"};
  std::error_code ec;
  if (!configured.empty()) {
    if (fs::is_regular_file(fs::path(configured) / "index.html", ec)) return {configured, ""};
    return {configured, "no index.html in " + configured};
  }
  if (!exe_path.empty()) {
    const fs::path dir =
        fs::path(exe_path).parent_path().parent_path() / "share" / "rookery" / name;
    if (fs::is_regular_file(dir / "index.html", ec)) return {dir.lexically_normal().string(), ""};
  }
  return {"",
          "not built: building it needs Node.js and npm (apt-get install nodejs npm), then cmake "
          "--build again; or point the configuration at a built folder"};
}

std::string executable_path() {
  std::error_code ec;
  const fs::path p = fs::read_symlink("/proc/self/exe", ec);
  return ec ? std::string() : p.string();
}

}  // namespace rookery::app
