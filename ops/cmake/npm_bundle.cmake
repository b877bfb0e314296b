# Browser bundles built with npm as part of the CMake build, so a plain `cmake --build` gives a
# server that serves the admin console and the web game with no flags. The bundles are staged in
# ${CMAKE_BINARY_DIR}/share/rookery/<name>/, next to bin/ as after `cmake --install`, which is
# where `rookery` looks for them by default (relative to its own executable).
#
# Needs Node.js and npm at build time (Debian 12's nodejs 18 is enough); `npm ci` fetches the
# packages pinned by each package-lock.json from the npm registry once (node_modules/ in the
# source folder, as npm does). Without them the bundles are left out with a warning, and the
# server's banner says how to build them.

option(ROOKERY_BUILD_WEB "Build the admin console and the web game (needs Node.js and npm)" ON)
find_program(ROOKERY_NODE node)
find_program(ROOKERY_NPM npm)
set(ROOKERY_SHARE_DIR ${CMAKE_BINARY_DIR}/share/rookery)

if(ROOKERY_BUILD_WEB AND (NOT ROOKERY_NODE OR NOT ROOKERY_NPM))
  message(WARNING "Node.js or npm not found: the admin console and the web game will not be built "
                  "(apt-get install nodejs npm, then configure again), or pass -DROOKERY_BUILD_WEB=OFF")
  set(ROOKERY_BUILD_WEB OFF)
endif()

# rookery_npm_bundle(NAME <dir name under share/rookery> SOURCE_DIR <package folder>
#                    SOURCES <globs> [NPM_DIRS <more package folders to npm ci>])
# Adds target rookery_<NAME>_bundle (in ALL): `npm ci` in each package folder when its lockfile
# changes, then `node build.mjs <stage dir>` when a source file changes; and installs the result
# under share/rookery/<NAME>/.
function(rookery_npm_bundle)
  cmake_parse_arguments(B "" "NAME;SOURCE_DIR" "SOURCES;NPM_DIRS" ${ARGN})
  if(NOT ROOKERY_BUILD_WEB)
    return()
  endif()
  set(out ${ROOKERY_SHARE_DIR}/${B_NAME})
  set(stamps)
  foreach(dir ${B_SOURCE_DIR} ${B_NPM_DIRS})
    string(MAKE_C_IDENTIFIER "${dir}" id)
    set(stamp ${CMAKE_CURRENT_BINARY_DIR}/npm-ci-${id}.stamp)
    add_custom_command(
      OUTPUT ${stamp}
      COMMAND ${ROOKERY_NPM} ci --no-audit --no-fund --loglevel=error
      COMMAND ${CMAKE_COMMAND} -E touch ${stamp}
      WORKING_DIRECTORY ${dir}
      DEPENDS ${dir}/package.json ${dir}/package-lock.json
      COMMENT "npm ci in ${dir}"
      VERBATIM)
    list(APPEND stamps ${stamp})
  endforeach()
  file(GLOB_RECURSE sources CONFIGURE_DEPENDS ${B_SOURCES})
  add_custom_command(
    OUTPUT ${out}/index.html
    COMMAND ${ROOKERY_NODE} build.mjs ${out}
    WORKING_DIRECTORY ${B_SOURCE_DIR}
    DEPENDS ${stamps} ${sources} ${B_SOURCE_DIR}/build.mjs
    COMMENT "Bundling ${B_NAME} into ${out}"
    VERBATIM)
  add_custom_target(rookery_${B_NAME}_bundle ALL DEPENDS ${out}/index.html)
  install(DIRECTORY ${out}/ DESTINATION ${CMAKE_INSTALL_DATADIR}/rookery/${B_NAME})
endfunction()
