# Third-party dependencies, all from Debian 12 packages (scripts/setup.sh installs them).
# Nothing is vendored. Each find_package names the Debian package in its failure hint.
find_package(fmt 9 REQUIRED)                  # libfmt-dev
find_package(RapidJSON REQUIRED)              # rapidjson-dev
find_package(Boost 1.81 REQUIRED COMPONENTS filesystem)  # libboost1.81-dev libboost-filesystem1.81-dev
find_package(pugixml REQUIRED)                # libpugixml-dev
find_package(CLI11 REQUIRED)                  # libcli11-dev
find_package(yaml-cpp REQUIRED)               # libyaml-cpp-dev
find_package(Threads REQUIRED)

# RapidJSON's Debian config sets only a variable; give it a target like the others.
if(NOT TARGET LabeilleFT_rapidjson)
  add_library(LabeilleFT_rapidjson INTERFACE)
  target_include_directories(LabeilleFT_rapidjson SYSTEM INTERFACE ${RAPIDJSON_INCLUDE_DIRS})
  # std::string support in RapidJSON's API.
  target_compile_definitions(LabeilleFT_rapidjson INTERFACE RAPIDJSON_HAS_STDSTRING=1)
endif()

if(LABEILLE_FT_BUILD_TESTS)
  find_package(GTest REQUIRED)                # libgtest-dev libgmock-dev
endif()
if(LABEILLE_FT_BUILD_BENCH)
  find_package(benchmark REQUIRED)            # libbenchmark-dev
endif()
