# Third-party dependencies, all from Debian 12 packages (scripts/setup.sh installs them).
# Nothing is vendored. Each find_package names the Debian package in its failure hint.
#
# LABEILLE_FT_STATIC_DEPS (the wheel sets it, pyproject.toml): executables that load no
# shared library of these packages, so an install runs where none of the -dev (or runtime)
# packages is: fmt header-only, and the static archives Debian ships in the same -dev
# packages for Boost.Filesystem, pugixml and yaml-cpp. Only the C and C++ runtimes stay
# shared.
option(LABEILLE_FT_STATIC_DEPS "Link fmt header-only and Boost, pugixml, yaml-cpp statically" OFF)
find_package(fmt 9 REQUIRED)                  # libfmt-dev
find_package(RapidJSON REQUIRED)              # rapidjson-dev
if(LABEILLE_FT_STATIC_DEPS)
  set(Boost_USE_STATIC_LIBS ON)
endif()
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

# fmt and yaml-cpp as our parts link them: shared (the packages' own targets) or, with
# LABEILLE_FT_STATIC_DEPS, header-only / the static archive. Debian's yaml-cpp config
# imports only the shared library, though libyaml-cpp-dev ships libyaml-cpp.a beside it.
if(NOT TARGET LabeilleFT_fmt)
  add_library(LabeilleFT_fmt INTERFACE)
  add_library(LabeilleFT_yaml_cpp INTERFACE)
  if(LABEILLE_FT_STATIC_DEPS)
    target_link_libraries(LabeilleFT_fmt INTERFACE fmt::fmt-header-only)
    set_property(TARGET pugixml::pugixml PROPERTY INTERFACE_LINK_LIBRARIES pugixml::static)
    get_target_property(_yaml_includes yaml-cpp INTERFACE_INCLUDE_DIRECTORIES)
    get_target_property(_yaml_shared yaml-cpp LOCATION)
    get_filename_component(_yaml_libdir "${_yaml_shared}" DIRECTORY)
    find_library(LABEILLE_FT_YAML_CPP_STATIC NAMES libyaml-cpp.a HINTS "${_yaml_libdir}"
      DOC "yaml-cpp's static archive")
    if(NOT LABEILLE_FT_YAML_CPP_STATIC)
      message(FATAL_ERROR "LABEILLE_FT_STATIC_DEPS: no libyaml-cpp.a beside ${_yaml_shared} "
                          "(libyaml-cpp-dev ships it on Debian and Ubuntu)")
    endif()
    target_include_directories(LabeilleFT_yaml_cpp SYSTEM INTERFACE ${_yaml_includes})
    target_link_libraries(LabeilleFT_yaml_cpp INTERFACE "${LABEILLE_FT_YAML_CPP_STATIC}")
  else()
    target_link_libraries(LabeilleFT_fmt INTERFACE fmt::fmt)
    target_link_libraries(LabeilleFT_yaml_cpp INTERFACE yaml-cpp)
  endif()
endif()

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
