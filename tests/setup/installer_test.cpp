// The installer mapping: which commands make the venv and install, and, run by a real
// /bin/sh against stand-in executables that print their arguments, that an install
// command's `pip install ...` reaches `uv pip install` with exactly the same arguments
// while every other use of pip and python is left alone.
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include <gtest/gtest.h>

#include "labeille/setup/installer.hpp"
#include "support/scratch.hpp"

namespace fs = std::filesystem;
using namespace labeille::setup;

namespace {

// Runs the shell text of install_argv() with `bin` first on PATH; returns its stdout.
std::string run_shell(const std::vector<std::string>& argv, const fs::path& bin) {
  EXPECT_EQ(argv.size(), 3u);
  EXPECT_EQ(argv[0], "/bin/sh");
  EXPECT_EQ(argv[1], "-c");
  fs::path script = bin.parent_path() / "command.sh";
  std::ofstream(script) << argv[2];
  std::string cmd = "PATH='" + bin.string() + "':\"$PATH\" LABEILLE_FT_UV='" + (bin / "uv").string() + "' /bin/sh '" +
                    script.string() + "'";
  FILE* p = popen(cmd.c_str(), "r");
  std::string out;
  char buf[512];
  while (p && fgets(buf, sizeof buf, p)) out += buf;
  EXPECT_EQ(p ? pclose(p) : -1, 0);
  return out;
}

class InstallerShell : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = labeille::test_support::scratch_dir();
    fs::create_directories(dir_ / "bin");
    // Each stand-in prints its name and its arguments, one bracketed per argument.
    for (const char* name : {"uv", "pip", "pip3", "python", "python3"}) {
      fs::path f = dir_ / "bin" / name;
      std::ofstream(f) << "#!/bin/sh\nprintf '%s' " << name << "\nfor a in \"$@\"; do printf ' [%s]' \"$a\"; done\necho\n";
      fs::permissions(f, fs::perms::owner_all);
    }
  }
  fs::path dir_;
};

// Quoting, extras, '&&' and several spellings, as a registry writes them.
constexpr const char* kCommand =
    "pip install -e \".[test]\" && python -m pip install 'a b' --pre && pip list && python -c 'print(1)' && "
    "python3 -m pip install x && pip3 install y && python -m pip download z";

}  // namespace

TEST_F(InstallerShell, UvGetsPipInstallWithTheSameArguments) {
  Installer uv{InstallerKind::Uv, (dir_ / "bin" / "uv").string()};
  EXPECT_EQ(run_shell(install_argv(uv, kCommand), dir_ / "bin"),
            "uv [pip] [install] [-e] [.[test]]\n"
            "uv [pip] [install] [a b] [--pre]\n"
            "pip [list]\n"
            "python [-c] [print(1)]\n"
            "uv [pip] [install] [x]\n"
            "uv [pip] [install] [y]\n"
            "python [-m] [pip] [download] [z]\n");
}

TEST_F(InstallerShell, PipRunsTheCommandAsWritten) {
  EXPECT_EQ(run_shell(install_argv(Installer{}, kCommand), dir_ / "bin"),
            "pip [install] [-e] [.[test]]\n"
            "python [-m] [pip] [install] [a b] [--pre]\n"
            "pip [list]\n"
            "python [-c] [print(1)]\n"
            "python3 [-m] [pip] [install] [x]\n"
            "pip3 [install] [y]\n"
            "python [-m] [pip] [download] [z]\n");
}

TEST(Installer, VenvAndRequirementsCommands) {
  Installer uv{InstallerKind::Uv, "/opt/uv"};
  EXPECT_EQ(venv_argv(uv, "/py/python3.13t", "/v/p"),
            (std::vector<std::string>{"/opt/uv", "venv", "--quiet", "--seed", "--python", "/py/python3.13t", "/v/p"}));
  EXPECT_EQ(venv_argv(Installer{}, "/py/python3.13t", "/v/p"),
            (std::vector<std::string>{"/py/python3.13t", "-m", "venv", "/v/p"}));
  EXPECT_EQ(requirements_argv(uv, "/v/p/bin/python", {"a", "b>=2"}),
            (std::vector<std::string>{"/opt/uv", "pip", "install", "--quiet", "--python", "/v/p/bin/python", "a", "b>=2"}));
  EXPECT_EQ(requirements_argv(Installer{}, "/v/p/bin/python", {"a"}),
            (std::vector<std::string>{"/v/p/bin/python", "-m", "pip", "install", "--quiet", "a"}));
  EXPECT_EQ(parse_installer("uv"), InstallerKind::Uv);
  EXPECT_EQ(parse_installer("pip"), InstallerKind::Pip);
  EXPECT_EQ(parse_installer("conda"), std::nullopt);
}

TEST(Installer, PipIndexSettingsCarryOverToUv) {
  Installer uv{InstallerKind::Uv, "/opt/uv"};
  auto env = installer_env(uv, {{"PIP_INDEX_URL", "https://mirror/simple"},
                                {"PIP_FIND_LINKS", "/w1  /w2"},
                                {"PIP_EXTRA_INDEX_URL", "https://x"},
                                {"UV_EXTRA_INDEX_URL", "https://mine"}});
  EXPECT_EQ(env["LABEILLE_FT_UV"], "/opt/uv");
  EXPECT_EQ(env["UV_PYTHON_DOWNLOADS"], "never");
  EXPECT_EQ(env["UV_INDEX_URL"], "https://mirror/simple");
  EXPECT_EQ(env["UV_FIND_LINKS"], "/w1,/w2");
  EXPECT_FALSE(env.count("UV_EXTRA_INDEX_URL")) << "the user's own uv setting wins";
  EXPECT_TRUE(installer_env(Installer{}, {{"PIP_INDEX_URL", "x"}}).empty());
}
