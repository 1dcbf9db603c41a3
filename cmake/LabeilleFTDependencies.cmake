# Third-party dependencies, all from Debian 12 packages (scripts/setup.sh installs them).
# Nothing is vendored. Each find_package names the Debian package in its failure hint.
find_package(fmt 9 REQUIRED)                  # libfmt-dev
find_package(RapidJSON REQUIRED)              # rapidjson-dev
# Any Boost >= 1.81 with Process v2: Debian 12 libboost1.81-dev libboost-filesystem1.81-dev;
# Debian 13 and Ubuntu 24.04 libboost-dev libboost-filesystem-dev (1.83).
find_package(Boost 1.81 REQUIRED COMPONENTS filesystem)
include(CheckIncludeFileCXX)
set(CMAKE_REQUIRED_INCLUDES ${Boost_INCLUDE_DIRS})
check_include_file_cxx(boost/process/v2/process.hpp LABEILLE_FT_HAVE_BOOST_PROCESS_V2)
unset(CMAKE_REQUIRED_INCLUDES)
if(NOT LABEILLE_FT_HAVE_BOOST_PROCESS_V2)
  message(FATAL_ERROR "Boost ${Boost_VERSION} (${Boost_INCLUDE_DIRS}) lacks Process v2 "
                      "(boost/process/v2/process.hpp): labeille ft needs Boost >= 1.81 with it; "
                      "scripts/setup.sh installs the right packages for this distribution.")
endif()
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
