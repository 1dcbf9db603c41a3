#include "labeille/setup/installer.hpp"

#include <tuple>

#include "labeille/core/text.hpp"

namespace labeille::setup {

namespace {

// Shell functions put before a registry's install command when uv installs. Functions,
// not rewritten text: the shell has already split, unquoted and expanded the arguments
// when they arrive, so `uv pip install` gets exactly what pip would have. Only what the
// command's own shell runs is redirected; a script that calls pip itself gets the venv's
// real pip (slower, still correct).
constexpr std::string_view kUvPrelude = R"sh(_lft_pip() { _lft_exe=$1; shift
  if [ "$1" = install ]; then shift; "$LABEILLE_FT_UV" pip install "$@"; else command "$_lft_exe" "$@"; fi; }
_lft_python() { _lft_exe=$1; shift
  if [ "$1" = -m ] && [ "$2" = pip ] && [ "$3" = install ]; then shift 3; "$LABEILLE_FT_UV" pip install "$@"
  else command "$_lft_exe" "$@"; fi; }
pip() { _lft_pip pip "$@"; }
pip3() { _lft_pip pip3 "$@"; }
python() { _lft_python python "$@"; }
python3() { _lft_python python3 "$@"; }
)sh";

}  // namespace

std::string_view to_string(InstallerKind k) { return k == InstallerKind::Uv ? "uv" : "pip"; }

std::optional<InstallerKind> parse_installer(std::string_view s) {
  if (s == "uv") return InstallerKind::Uv;
  if (s == "pip") return InstallerKind::Pip;
  return std::nullopt;
}

std::vector<std::string> venv_argv(const Installer& in, const std::string& python, const std::string& venv) {
  if (in.kind == InstallerKind::Uv) return {in.uv, "venv", "--quiet", "--seed", "--python", python, venv};
  return {python, "-m", "venv", venv};
}

std::vector<std::string> install_argv(const Installer& in, const std::string& command) {
  if (in.kind == InstallerKind::Uv) return {"/bin/sh", "-c", std::string(kUvPrelude) + command};
  return {"/bin/sh", "-c", command};
}

std::vector<std::string> requirements_argv(const Installer& in, const std::string& venv_python,
                                           const std::vector<std::string>& requirements) {
  std::vector<std::string> argv;
  if (in.kind == InstallerKind::Uv)
    argv = {in.uv, "pip", "install", "--quiet", "--python", venv_python};
  else
    argv = {venv_python, "-m", "pip", "install", "--quiet"};
  argv.insert(argv.end(), requirements.begin(), requirements.end());
  return argv;
}

std::map<std::string, std::string> installer_env(const Installer& in, const std::map<std::string, std::string>& base) {
  std::map<std::string, std::string> env;
  if (in.kind != InstallerKind::Uv) return env;
  env["LABEILLE_FT_UV"] = in.uv;
  // The target interpreter is given; uv must never fetch another one.
  env["UV_PYTHON_DOWNLOADS"] = "never";
  // pip separates list values with whitespace; uv takes UV_FIND_LINKS comma-separated.
  static constexpr std::tuple<const char*, const char*, char> kCarried[] = {
      {"PIP_INDEX_URL", "UV_INDEX_URL", ' '}, {"PIP_EXTRA_INDEX_URL", "UV_EXTRA_INDEX_URL", ' '},
      {"PIP_FIND_LINKS", "UV_FIND_LINKS", ','}};
  for (auto [pip, uv, sep] : kCarried) {
    auto it = base.find(pip);
    if (it == base.end() || base.count(uv)) continue;
    std::string value;
    for (const auto& item : split_list(it->second, ' ')) value += (value.empty() ? "" : std::string(1, sep)) + item;
    if (!value.empty()) env[uv] = value;
  }
  return env;
}

}  // namespace labeille::setup
