#include "labeille/setup/setup.hpp"

#include "labeille/setup/adapt.hpp"
#include "labeille/setup/install_log.hpp"

#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <regex>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "labeille/core/error.hpp"
#include "labeille/core/fs.hpp"
#include "labeille/core/json.hpp"
#include "labeille/core/names.hpp"
#include "labeille/core/record_json.hpp"
#include "labeille/core/text.hpp"
#include "labeille/core/time.hpp"
#include "labeille/process/supervisor.hpp"
#include "labeille/observe/classify.hpp"
#include "labeille/observe/environment.hpp"
#include "labeille/observe/supervise_test.hpp"

namespace fs = std::filesystem;

namespace labeille::setup {

// The line of a failed step's output that says why (setup.hpp). pip quotes a failed build's own
// output between "╰─> [N lines of output]" and "[end of output]", uv after "[stderr]"
// (or "[stdout]") up to its "hint:": the last line there is the package's message.
// Otherwise the exception that ends a Python traceback (pip's own crash: "ERROR:
// Exception:" then "...BackendUnavailable: Cannot import 'mesonpy'"); otherwise the last
// line that mentions an error, skipping pip's boilerplate; otherwise the last non-empty line.
std::string telling_line(std::string_view text) {
  auto lines = split_lines(text);
  std::string quoted, exception, erroring, fallback;
  bool in_quote = false, in_traceback = false;
  for (auto line : lines) {
    std::string t = trim(line);
    if (t == "Traceback (most recent call last):") {
      in_traceback = true;
      continue;
    }
    // A traceback's frames are indented; its first unindented line is the exception.
    if (in_traceback && !line.empty() && line[0] != ' ' && line[0] != '\t') {
      exception = t;
      in_traceback = false;
      continue;
    }
    if (t.find("lines of output]") != std::string::npos || t == "[stderr]" || t == "[stdout]") {
      in_quote = true;
      continue;
    }
    if (t == "[end of output]" || t.rfind("hint:", 0) == 0) {
      in_quote = false;
      continue;
    }
    if (t.empty()) continue;
    if (in_quote) {
      quoted = t;
      continue;
    }
    static constexpr std::string_view kBoilerplate[] = {"note:", "hint:", "\u2502", "\u2570", "\u00d7",
                                                        "error: subprocess-exited-with-error",
                                                        "error: metadata-generation-failed"};
    bool boring = false;
    for (auto b : kBoilerplate) boring = boring || t.rfind(b, 0) == 0;
    if (boring) continue;
    fallback = t;
    std::string lower = t;
    for (auto& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (lower.find("error") != std::string::npos) erroring = t;
  }
  return !quoted.empty() ? quoted : !exception.empty() ? exception : !erroring.empty() ? erroring : fallback;
}

namespace {

constexpr const char* kDefaultInstall = "python -m pip install . pytest";

// What a helper script answered: the text after "<tag>:" on the last line of its stdout
// that starts so ("" when none does). The probe, the declared-support reader and the
// sdist fetcher each print one such line.
std::string result_line(std::string_view out, std::string_view tag) {
  std::string answer;
  for (auto line : split_lines(out))
    if (line.size() > tag.size() && line.starts_with(tag) && line[tag.size()] == ':')
      answer = std::string(line.substr(tag.size() + 1));
  return answer;
}

// The environment of every set-up step: the venv first on PATH (so `pip` and `python`
// in an install command mean the venv's), PYTHON_GIL unset, no PYTHONPATH/PYTHONHOME.
// The installer adds its own variables (installer_env).
std::vector<std::string> step_env(const std::string& venv, const std::string& package,
                                  const Installer& installer = {}) {
  observe::EnvInputs in;
  in.venv = venv;
  in.gil = GilMode::Unset;
  in.package = package;
  in.mode = "setup";
  const auto base = observe::current_environment();
  in.user = {{"PIP_DISABLE_PIP_VERSION_CHECK", "1"}, {"PIP_NO_INPUT", "1"}};
  for (auto& kv : installer_env(installer, base)) in.user.push_back(kv);
  return observe::to_entries(observe::build_environment(base, in).env);
}

struct StepResult {
  bool ok = false;
  std::string error;  // last meaningful stderr line
  std::string out;    // stdout tail
  std::string output; // stdout and stderr tails, for reading the cause (install_log.hpp)
};

// Runs one step under process supervision (own process group, timeout, no orphans).
StepResult run_step(const std::vector<std::string>& argv, const fs::path& cwd, const std::vector<std::string>& env,
                    const fs::path& dir, const std::string& name, double timeout_s) {
  auto spec = process::helper_spec(argv, cwd.string(), env, dir, name, timeout_s);
  spec.watchdog.grace_s = 5;
  process::Result r = process::supervise(spec);
  StepResult s;
  s.out = r.out.tail;
  s.output = r.out.tail + "\n" + r.err.tail;
  const auto& t = r.termination;
  s.ok = process::exited_zero(r);
  if (!s.ok) {
    std::string why = !t.started ? t.start_error
                      : t.timed_out ? fmt::format("timed out after {:g} s, the set-up timeout per step", timeout_s)
                      : t.signal   ? "killed by " + process::signal_name(t.signal)
                                   : fmt::format("exit {}", t.exit_code.value_or(-1));
    std::string last = telling_line(r.err.tail);
    if (last.empty()) last = telling_line(r.out.tail);
    s.error = fmt::format("{} failed ({}){}", name, why, last.empty() ? "" : ": " + last);
  }
  return s;
}

// Whether the sources were fetched, and the reason when not.
struct Fetched {
  bool ok = false;
  std::string error;
  std::optional<CauseInfo> cause = {};  // what failed, by its root cause
};

// git clone (or fetch + checkout in a reused --repos-dir) into src; the commit goes into rec.
Fetched fetch_git(const PrepareOptions& o, const fs::path& src, const fs::path& dir, const std::vector<std::string>& env,
                  SetupRecord& rec) {
  StepResult s;
  std::error_code ec;
  if (fs::exists(src / ".git")) {  // --repos-dir reuse: fetch instead of cloning again
    std::vector<std::string> fetch = {"git", "-C", src.string(), "fetch", "--quiet"};
    if (o.depth > 0) fetch.push_back(fmt::format("--depth={}", o.depth));
    // The ref, or the remote's HEAD by name: a plain `fetch origin` in a clone made with
    // --branch (single-branch) fetches that branch or tag again, never the default one.
    fetch.push_back("origin");
    fetch.push_back(o.ref.empty() ? "HEAD" : o.ref);
    s = run_step(fetch, src, env, dir, "git-fetch", o.timeout_s);
    if (s.ok)
      s = run_step({"git", "-C", src.string(), "checkout", "--quiet", "--force", "FETCH_HEAD"}, src, env, dir,
                   "git-checkout", o.timeout_s);
  } else {
    fs::remove_all(src, ec);
    std::vector<std::string> clone = {"git", "clone", "--quiet"};
    if (o.depth > 0) clone.push_back(fmt::format("--depth={}", o.depth));
    if (!o.ref.empty()) clone.insert(clone.end(), {"--branch", o.ref});
    clone.insert(clone.end(), {o.git, src.string()});
    s = run_step(clone, o.repos_dir, env, dir, "git-clone", o.timeout_s);
  }
  if (!s.ok) return {false, s.error, clone_cause(s.output, o.package)};
  auto head = run_step({"git", "-C", src.string(), "rev-parse", "HEAD"}, src, env, dir, "git-rev-parse", 60);
  if (head.ok) rec.commit = trim(head.out);
  return {true, ""};
}

// The package's sdist through pip (so the user's pip configuration, index and mirrors
// apply), unpacked into src; its file name goes into *archive_name. --no-binary names
// the package alone: with :all: pip would also build every build dependency (setuptools,
// maturin, meson) from source.
Fetched fetch_sdist(const PrepareOptions& o, const std::string& dist, const fs::path& src, const fs::path& dir,
                    const std::vector<std::string>& env, SetupRecord& rec, std::string* archive_name) {
  fs::path dl = dir / "sdist";
  fs::create_directories(dl);
  fs::path archive;
  // The archive straight from pip's index when the choice is certainly pip's: `pip
  // download` prepares the sdist's metadata first, a whole meson or CMake configuration
  // for numpy or pandas (minutes, on every run). The script says why when it defers.
  if (!o.sdist_script.empty()) {
    auto quick = run_step({o.python, o.sdist_script.string(), dist, o.version, dl.string()}, dl, env, dir,
                          "sdist-index", o.timeout_s);
    if (const auto answer = result_line(quick.out, "LABEILLE_SDIST_RESULT"); !answer.empty()) {
      try {
        const auto doc = json::parse_object(answer, "labeille_ft_sdist.py");
        const std::string file = json::Reader(doc, "labeille_ft_sdist.py").str("file");
        if (!file.empty() && fs::is_regular_file(dl / file)) archive = dl / file;
      } catch (const Error&) {  // an answer it cannot read: pip download decides
      }
    }
  }
  std::string spec = o.version.empty() ? dist : dist + "==" + o.version;
  auto s = archive.empty() ? run_step({o.python, "-m", "pip", "download", "--quiet", "--no-deps", "--no-binary", dist,
                                       "-d", dl.string(), spec},
                                      dl, env, dir, "pip-download", o.timeout_s)
                           : StepResult{true, "", "", ""};
  if (!s.ok) {
    // pip prepares the sdist's metadata while downloading: a build backend that cannot
    // start on the target fails here, and says why like an install does.
    auto cause = install_cause("source", s.output, {o.package, "", {}, {}});
    if (cause && cause->failure == "has no matching distribution on the index") cause->failure = "could not be downloaded";
    return {false, cause && !cause->line.empty() ? cause_sentence(*cause) : s.error, cause};
  }
  if (archive.empty())
    for (auto& e : fs::directory_iterator(dl))
      if (e.path().string().ends_with(".tar.gz") || e.path().string().ends_with(".zip")) archive = e.path();
  if (archive.empty()) return {false, "pip download produced no sdist archive (.tar.gz or .zip)"};
  fs::path unpack = dir / "unpacked";
  fs::create_directories(unpack);
  std::vector<std::string> argv = archive.extension() == ".zip"
                                      ? std::vector<std::string>{o.python, "-m", "zipfile", "-e", archive.string(),
                                                                 unpack.string()}
                                      : std::vector<std::string>{"tar", "-xf", archive.string(), "-C", unpack.string()};
  auto u = run_step(argv, dl, env, dir, "unpack", 300);
  if (!u.ok) return {false, u.error};
  fs::path top;
  for (auto& e : fs::directory_iterator(unpack))
    if (e.is_directory()) top = e.path();
  if (top.empty()) return {false, "the sdist holds no top-level directory"};
  std::error_code ec;
  fs::remove_all(src, ec);
  fs::rename(top, src, ec);
  if (ec) fs::copy(top, src, fs::copy_options::recursive, ec);
  if (ec) return {false, fmt::format("cannot move the unpacked sdist to {}: {}", src.string(), ec.message())};
  // <name>-<version>.tar.gz: names hold no '-' in modern sdists (PEP 625), versions never do.
  const std::string name = archive.filename().string();
  const std::string stem = name.substr(0, name.size() - (name.ends_with(".zip") ? 4 : 7));
  rec.sdist_version = stem.substr(stem.rfind('-') + 1);
  *archive_name = name;
  return {true, ""};
}

// Runs labeille_ft_declared.py with the venv's python: classifier level, published
// wheels for the target, the sdist's URL on the index. Never fails the set-up.
DeclaredInfo read_declared(const PrepareOptions& o, const std::string& py, const std::string& dist,
                           const std::string& version, const fs::path& src, const std::string& archive,
                           const fs::path& dir, const std::vector<std::string>& env, std::string* sdist_url) {
  std::vector<std::string> argv = {py, o.declared_script.string(), dist, version, src.string()};
  if (!archive.empty()) argv.push_back(archive);
  auto r = run_step(argv, dir, env, dir, "declared", 600);
  const std::string json = result_line(r.out, "LABEILLE_DECLARED_RESULT");
  DeclaredInfo d;
  if (json.empty()) {
    d.error = r.ok ? "labeille_ft_declared.py printed no result" : r.error;
    return d;
  }
  try {
    // One parse, one strictness: the declared object and the sdist's URL beside it.
    const auto doc = json::parse_object(json, "labeille_ft_declared.py");
    const json::Reader in(doc, "labeille_ft_declared.py");
    d = read_declared_info(in);
    *sdist_url = in.str("sdist_url");
  } catch (const Error& e) {
    d.error = e.what();
  }
  return d;
}

}  // namespace

std::string venv_stamp(const PrepareOptions& o, const std::string& install_command) {
  return fmt::format("python={}\ninstaller={}\ninstall={}\nextra={}\n", o.python, to_string(o.installer.kind),
                     install_command, fmt::join(o.extra_deps, ","));
}

std::string effective_source(const PrepareOptions& o) {
  if (!o.source.empty()) return o.source;
  return o.git.empty() && o.path.empty() && !o.sdist.empty() ? "sdist" : "repo";
}

namespace {

// The install stamp, beside the venv's: what the venv holds was installed from these
// sources, by this recipe, with this interpreter, and what the hook step then read. It
// is removed before any install and written after a whole successful set-up, so it never
// outlives a failed or interrupted install.
constexpr const char* kInstalledStamp = ".labeille-ft-installed";

struct Installed {
  bool matches = false;
  bool stress_tools = false;
  std::string installer, version, purelib;
};

Installed read_installed(const fs::path& file, const std::string& key) {
  Installed in;
  std::error_code ec;
  if (!fs::exists(file, ec)) return in;
  const std::string text = read_file(file);
  if (!text.starts_with(key)) return in;
  for (auto line : split_lines(std::string_view(text).substr(key.size()))) {
    auto eq = line.find('=');
    if (eq == std::string_view::npos) continue;
    auto k = line.substr(0, eq);
    std::string v(line.substr(eq + 1));
    if (k == "version") in.version = v;
    else if (k == "purelib") in.purelib = v;
    else if (k == "installer") in.installer = v;
    else if (k == "stress_tools") in.stress_tools = v == "1";
  }
  in.matches = !in.installer.empty() && !in.purelib.empty() && fs::is_directory(in.purelib, ec);
  return in;
}

// One package's set-up, as the steps it takes: sources, install (venv included), stress
// tools, hook. Each step returns the failure that ends the set-up, or nothing; run()
// reads in the order the steps happen, and finish() writes the one record whatever
// happened (with what the package declares, once a venv exists to ask from).
class Preparation {
 public:
  explicit Preparation(const PrepareOptions& o)
      : o_(o),
        dir_(fs::absolute(claim_attempt_dir(o.record_dir / o.package, "setup").dir)),
        src_(fs::absolute(o.repos_dir / o.package)),
        venv_(fs::absolute(o.venvs_dir / o.package)),
        plain_env_(step_env("", o.package)) {
    rec_.attempt_id = fmt::format("{}:{}:{}", host_name(), ::getpid(), dir_.filename().string());
    rec_.package = o.package;
    rec_.start_time = iso8601_utc_now();
    rec_.source_dir = src_.string();
    rec_.venv = venv_.string();
    rec_.python = o.python;
    rec_.log_path = dir_.string();
    rec_.host = host_name();
  }

  SetupRecord run() {
    if (auto f = timed(rec_.steps.source_s, [&] { return fetch_sources(); })) return finish(f);
    fit_to_sources();
    if (auto f = install()) return finish(f);
    if (o_.stress && !(rec_.reused_install && installed_.stress_tools))
      if (auto f = install_stress_tools()) return finish(f);
    if (auto f = timed(rec_.steps.hook_s, [&] { return install_hook(); })) return finish(f);
    atomic_write_file(venv_ / ".labeille-ft-stamp", stamp_);
    if (!installed_key_.empty())
      atomic_write_file(venv_ / kInstalledStamp,
                        fmt::format("{}installer={}\nstress_tools={}\nversion={}\npurelib={}\n", installed_key_,
                                    rec_.installer,
                                    o_.stress || (rec_.reused_install && installed_.stress_tools) ? 1 : 0,
                                    rec_.version, purelib_.string()));
    return finish(std::nullopt);
  }

 private:
  struct Failure {
    std::string stage, error;
    std::optional<CauseInfo> cause = {};
  };
  using Step = std::optional<Failure>;

  template <class F>
  Step timed(double& slot, F&& step) {
    const double t = monotonic_s();
    Step f = step();
    slot += monotonic_s() - t;
    return f;
  }

  // The repository (or a local path), the sdist, or the repository with the sdist as
  // fallback when it cannot be fetched (--source auto).
  Step fetch_sources() {
    std::error_code ec;
    fs::create_directories(o_.repos_dir, ec);
    const std::string mode = effective_source(o_);
    SourceInfo& source = rec_.source.emplace();
    Fetched got;
    if (mode != "sdist" && !o_.path.empty()) {
      rec_.install_from = source.kind = "path";
      source.url = o_.path;
      fs::remove_all(src_, ec);
      fs::copy(o_.path, src_, fs::copy_options::recursive | fs::copy_options::copy_symlinks, ec);
      got = {!ec, ec ? fmt::format("cannot copy {} to {}: {}", o_.path, src_.string(), ec.message()) : ""};
    } else if (mode != "sdist" && !o_.git.empty()) {
      rec_.install_from = "git";
      source.kind = "repo";
      source.url = o_.git;
      got = fetch_git(o_, src_, dir_, plain_env_, rec_);
      if (!got.ok && mode == "auto") source.fallback_reason = got.error;
    }
    if (mode == "sdist" || source.fallback_reason || (mode == "auto" && source.kind.empty())) {
      rec_.install_from = source.kind = "sdist";
      source.url.reset();
      got = fetch_sdist(o_, distribution(), src_, dir_, plain_env_, rec_, &archive_);
      if (got.ok) source.version = rec_.sdist_version;
    }
    if (source.kind.empty()) return Failure{"source", "no source: give --git, --path or --sdist"};
    if (got.ok) return std::nullopt;
    if (source.fallback_reason)
      got.error = fmt::format("{} (after the repository failed: {})", got.error, *source.fallback_reason);
    else if (got.cause && got.cause->failure == "could not be cloned")
      got.error = cause_sentence(*got.cause);
    return Failure{"source", got.error, got.cause};
  }

  // The install command, made to work in an unpacked sdist; are the tests there?
  void fit_to_sources() {
    SourceInfo& source = *rec_.source;
    install_command_ = o_.install_command.empty() ? kDefaultInstall : o_.install_command;
    if (source.kind == "sdist") {
      auto adapted = adapt_for_sdist(install_command_, src_);
      install_command_ = adapted.command;
      source.adapted = adapted.notes;
    }
    if (!o_.test_command.empty()) {
      auto tests = check_tests(o_.test_command, src_, source.kind == "sdist" ? "sdist" : "sources");
      source.tests_present = tests.present;
      if (!tests.note.empty()) source.tests_note = tests.note;
    }
    stamp_ = venv_stamp(o_, install_command_);
  }

  // The venv (rebuilt only when the interpreter, installer or install recipe changed)
  // and the install. When uv fails, pip gets the package from a fresh venv (a build that
  // needs pip's behaviour); the record says so, and the logs of both attempts stay
  // (pip's steps are named pip-*).
  Step install() {
    const fs::path stamp_file = venv_ / ".labeille-ft-stamp";
    rec_.reused_venv = fs::exists(stamp_file) && read_file(stamp_file) == stamp_ && fs::exists(python_path());
    rec_.installer = std::string(to_string(o_.installer.kind));
    installed_key_ = installed_key();
    if (rec_.reused_venv && !installed_key_.empty()) {
      installed_ = read_installed(venv_ / kInstalledStamp, installed_key_);
      if (installed_.matches) {
        rec_.reused_install = true;
        rec_.installer = installed_.installer;
        return std::nullopt;
      }
    }
    // Whatever happens now, the venv no longer holds what the stamp says.
    std::error_code ec;
    fs::remove(venv_ / kInstalledStamp, ec);
    Step failed = install_with(o_.installer, rec_.reused_venv, "");
    if (failed && o_.installer.kind == InstallerKind::Uv) {
      rec_.installer = "pip";
      rec_.installer_fallback = failed->error;
      failed = install_with(Installer{}, false, "pip-");
    }
    return failed;
  }

  // What an install into this venv is a function of, beyond the venv's own stamp: the
  // sources (a git commit, checked out with --force so no tracked file differs from it,
  // or an sdist's archive, whose name on an index is never reused) and the interpreter's
  // binary (rebuilt in place by setup.sh, its path unchanged). Empty for a local path:
  // a checkout in hand changes between runs with nothing to tell, so it is installed
  // every time; empty for an editable install of an sdist (below).
  std::string installed_key() const {
    // An editable install lives in its source tree (meson-python's build directory,
    // setuptools' finder), and an sdist is unpacked afresh on every fetch: the venv would
    // point at files that are gone (numpy: "No such file or directory: .../meson-logs/...").
    static const std::regex editable(R"((^|\s)(-e|--editable)(\S*)(\s|=|$))");
    const bool in_tree = std::regex_search(install_command_, editable);
    std::string sources;
    if (rec_.source->kind == "repo" && !rec_.commit.empty()) {
      sources = "git:" + rec_.commit;
    } else if (rec_.source->kind == "sdist" && !archive_.empty() && !in_tree) {
      std::error_code ec;
      auto size = fs::file_size(dir_ / "sdist" / archive_, ec);
      if (!ec) sources = fmt::format("sdist:{}:{}", archive_, size);
    }
    if (sources.empty()) return "";
    std::error_code ec1, ec2;
    auto size = fs::file_size(o_.python, ec1);
    auto mtime = fs::last_write_time(o_.python, ec2);
    if (ec1 || ec2) return "";
    return fmt::format("{}sources={}\ninterpreter={}:{}\n", stamp_, sources, size,
                       mtime.time_since_epoch().count());
  }

  Step install_with(const Installer& in, bool reuse, const std::string& prefix) {
    if (!reuse) {
      auto made = timed(rec_.steps.venv_s, [&]() -> Step {
        std::error_code ec;
        fs::remove_all(venv_, ec);
        fs::create_directories(venv_.parent_path(), ec);
        auto v = run_step(venv_argv(in, o_.python, venv_.string()), venv_.parent_path(),
                          step_env("", o_.package, in), dir_, prefix + "venv", 600);
        if (!v.ok) return Failure{"venv", v.error};
        return std::nullopt;
      });
      if (made) return made;
    }
    return timed(rec_.steps.install_s, [&]() -> Step {
      auto env = step_env(venv_.string(), o_.package, in);
      auto s = run_step(install_argv(in, install_command_), src_, env, dir_, prefix + "install", o_.timeout_s);
      if (!s.ok) return failure("install", s);
      if (o_.extra_deps.empty()) return std::nullopt;
      auto x = run_step(requirements_argv(in, python_path().string(), o_.extra_deps), src_, env, dir_,
                        prefix + "extra-deps", o_.timeout_s);
      if (!x.ok) return failure("extra_deps", x);
      return std::nullopt;
    });
  }

  // A failed install by its root cause: the distribution that failed (the package or a
  // dependency, and which) and the line that says why; the step's own summary when the
  // output names nothing.
  Failure failure(const std::string& stage, const StepResult& s) const {
    auto cause = install_cause(stage, s.output, {o_.package, install_command_, o_.extra_deps, src_});
    if (!cause || cause->line.empty()) return Failure{stage, s.error, cause};
    // pip installing "." prints no version of the package itself: the sdist's is known.
    if (!cause->blocks && !cause->version && cause->requirement.empty() && !rec_.sdist_version.empty())
      cause->version = rec_.sdist_version;
    return Failure{stage, cause_sentence(*cause), cause};
  }

  // pytest-run-parallel (with the target interpreter's own pip, however the venv was
  // made) and our plugin, into <venv>/labeille-ft-stress/, apart from site-packages.
  Step install_stress_tools() {
    const fs::path tools = venv_ / kStressToolsDir;
    auto s = run_step({o_.python, "-m", "pip", "install", "--quiet", "--upgrade", "--no-deps", "--target",
                       tools.string(), kStressRequirement},
                      src_, plain_env_, dir_, "stress-tools", o_.timeout_s);
    if (!s.ok) return Failure{"stress_tools", s.error};
    std::error_code ec;
    fs::copy_file(o_.stress_plugin, tools / o_.stress_plugin.filename(), fs::copy_options::overwrite_existing, ec);
    if (ec)
      return Failure{"stress_tools", fmt::format("cannot install {}: {}", o_.stress_plugin.string(), ec.message())};
    return std::nullopt;
  }

  // The startup hook, and the installed version.
  Step install_hook() {
    const auto env = step_env(venv_.string(), o_.package);
    const std::string py = python_path().string();
    if (rec_.reused_install) {
      purelib_ = installed_.purelib;
    } else {
      auto site = run_step({py, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"}, src_, env, dir_,
                           "site-packages", 120);
      if (!site.ok) return Failure{"hook", site.error};
      purelib_ = trim(site.out);
    }
    const fs::path& purelib = purelib_;
    for (const char* f : {"labeille_ft_hook.py", "labeille_ft_hook.pth"}) {
      std::error_code ec;
      fs::copy_file(o_.hook_dir / f, purelib / f, fs::copy_options::overwrite_existing, ec);
      if (ec) return Failure{"hook", fmt::format("cannot install {}: {}", (o_.hook_dir / f).string(), ec.message())};
    }
    // No byte-compiling here: iterations run without PYTHONDONTWRITEBYTECODE (the
    // runner's environment), so the first one writes the bytecode of what it imports, as
    // any Python run does. Compiling all of site-packages instead (uv installs without
    // compiling) cost more than the whole uv install, mostly for modules no suite imports
    // (pygments alone is 9 MiB of sources).
    if (rec_.reused_install) {
      rec_.version = installed_.version;
    } else {
      auto ver = run_step({py, "-c", "import importlib.metadata as m, sys; print(m.version(sys.argv[1]))",
                           o_.package},
                          src_, env, dir_, "version", 120);
      if (ver.ok) rec_.version = trim(ver.out);
    }
    if (rec_.source->kind != "sdist" && !rec_.version.empty()) rec_.source->version = rec_.version;
    return std::nullopt;
  }

  // What the package declares, once its venv exists (also when the install failed: the
  // declaration of a package that does not install is worth showing).
  void read_declarations(const Step& failed) {
    if (failed && (failed->stage == "source" || failed->stage == "venv")) return;
    if (!fs::exists(python_path())) return;
    timed(rec_.steps.declared_s, [&]() -> Step {
      std::string url;
      rec_.declared = read_declared(o_, python_path().string(), distribution(),
                                    rec_.version.empty() ? rec_.sdist_version : rec_.version, src_, archive_, dir_,
                                    step_env(venv_.string(), o_.package), &url);
      if (rec_.source && rec_.source->kind == "sdist" && !url.empty()) rec_.source->url = url;
      return std::nullopt;
    });
  }

  SetupRecord finish(const Step& failed) {
    read_declarations(failed);
    rec_.ok = !failed;
    rec_.stage = failed ? failed->stage : "";
    rec_.error = failed ? failed->error : "";
    if (failed) rec_.cause = failed->cause;
    rec_.duration_s = monotonic_s() - t0_;
    rec_.end_time = iso8601_utc_now();
    atomic_write_file(dir_ / attempt_files::kRecord, to_json(rec_));
    return rec_;
  }

  std::string distribution() const { return o_.sdist.empty() ? o_.package : o_.sdist; }
  fs::path python_path() const { return venv_ / "bin" / "python"; }

  const PrepareOptions& o_;
  const double t0_ = monotonic_s();
  const fs::path dir_, src_, venv_;
  const std::vector<std::string> plain_env_;
  SetupRecord rec_;
  std::string archive_;          // the sdist's file name, when the sources are one
  std::string install_command_;  // as run: adapted to an sdist when the sources are one
  std::string stamp_;
  std::string installed_key_;    // installed_key(): "" = never reused
  Installed installed_;          // what the venv's install stamp says, when read
  fs::path purelib_;
};

}  // namespace

SetupRecord prepare(const PrepareOptions& o) { return Preparation(o).run(); }

ProbeRecord probe(const ProbeOptions& o) {
  auto claimed = claim_attempt_dir(o.record_dir / o.package, "probe");
  const fs::path dir = fs::absolute(claimed.dir);
  const fs::path venv = fs::absolute(o.venvs_dir / o.package);
  const double t0 = monotonic_s();
  ProbeRecord rec;
  rec.attempt_id = fmt::format("{}:{}:{}", host_name(), ::getpid(), dir.filename().string());
  rec.package = o.package;
  rec.import_name = o.import_name.empty() ? o.package : o.import_name;
  std::replace(rec.import_name.begin(), rec.import_name.end(), '-', '_');
  rec.start_time = iso8601_utc_now();
  rec.host = host_name();

  // Not the source tree as cwd: the installed package must be imported. A crash while
  // importing is read from the output like a test's (observe::supervise).
  observe::SuperviseSpec spec(process::helper_spec({(venv / "bin" / "python").string(), o.probe_script.string(), rec.import_name,
                                   o.detect_extensions ? "1" : "0", fmt::format("{:g}", std::max(10.0, o.timeout_s / 4))},
                                  dir.string(), step_env(venv.string(), o.package), dir, "probe", o.timeout_s));
  auto r = observe::supervise(spec);

  const std::string answer = result_line(r.out.tail, "LABEILLE_PROBE_RESULT");
  // The probe script's answer, read strictly: a missing key or a wrong type (an
  // interpreter whose probe prints {}) is an import failure naming the field, never an
  // assert.
  std::string answer_error;
  bool answered = false;
  if (!answer.empty()) {
    try {
      const auto d = json::parse_object(answer, "the probe's answer");
      const json::Reader in(d, "the probe's answer");
      for (const char* k : {"ok", "error", "extensions"})
        if (!in.has(k)) in.bad(k, "a value (the key is missing)");
      rec.ok = in.boolean("ok");
      rec.error = in.str("error");
      rec.gil_enabled_after_import = in.opt_bool("gil_enabled_after_import");
      rec.gil_reenabled_by = in.str("gil_reenabled_by");
      auto kinds = scan_tree(o.repos_dir / o.package);
      std::string declared = kinds.empty() ? "none" : fmt::format("{}", fmt::join(kinds, ","));
      in.each("extensions", [&](const json::Reader& e) {
        ExtensionInfo x;
        x.module = e.str("module");
        x.path = e.str("path");
        x.import_ok = e.boolean("import_ok", true);
        x.import_error = e.str("import_error");
        x.reenabled_gil = e.opt_bool("reenabled_gil");
        x.declaration = declared;
        rec.extensions.push_back(std::move(x));
      });
      answered = true;
    } catch (const Error& e) {
      answer_error = e.what();
      rec.extensions.clear();
    }
  }
  if (!answered) {
    // The import itself crashed, hung or the interpreter could not start.
    auto v = observe::classify(r.termination, r.fatal_error, r.crash_frames);
    rec.ok = false;
    rec.crash = v.crash;
    std::string last = answer_error.empty() ? last_line(r.err.tail) : answer_error;
    rec.error = fmt::format("import probe {}: {}{}", std::string(to_string(v.outcome)), v.detail,
                            last.empty() ? "" : " — " + last);
  }
  rec.duration_s = monotonic_s() - t0;
  rec.end_time = iso8601_utc_now();
  atomic_write_file(dir / attempt_files::kRecord, to_json(rec));
  return rec;
}

}  // namespace labeille::setup
