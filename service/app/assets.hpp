// Where the server finds its browser bundles (the admin console, the web game) when the
// configuration names none: next to its own executable, as the build and `cmake --install`
// lay them out (bin/rookery, share/rookery/<name>/).
#pragma once

#include <string>

namespace rookery::app {

/// A browser bundle's folder, or why there is none.
struct AssetRoot {
  std::string path;     // folder to serve; empty: nothing served
  std::string problem;  // when path is empty: why, and how to get it, for the banner and log
};

/// Resolves a bundle folder. `configured` is the configuration's value: "none" serves nothing;
/// a folder is used as given (a warning in `problem` if it has no index.html); empty looks in
/// `<exe dir>/../share/rookery/<name>/`. `exe_path` is the running executable.
AssetRoot resolve_asset_root(const std::string& configured, const std::string& name,
                             const std::string& exe_path);

/// The running executable's path (/proc/self/exe), or "" if it cannot be read.
std::string executable_path();

}  // namespace rookery::app
