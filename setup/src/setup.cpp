#include "labeille/setup/setup.hpp"

#include <unistd.h>

#include <algorithm>
#include <fstream>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "labeille/core/error.hpp"
#include "labeille/core/fs.hpp"
#include "labeille/core/json.hpp"
#include "labeille/core/names.hpp"
#include "labeille/core/text.hpp"
#include "labeille/core/time.hpp"
#include "labeille/process/supervisor.hpp"
#include "labeille/runner/classify.hpp"
#include "labeille/runner/environment.hpp"
#include "labeille/runner/stress.hpp"
#include "labeille/runner/supervise_test.hpp"

namespace fs = std::filesystem;

namespace labeille::setup {

namespace {

// The environment of every set-up step: the venv first on PATH (so `pip` and `python`
// in an install command mean the venv's), PYTHON_GIL unset, no PYTHONPATH/PYTHONHOME.
// The installer adds its own variables (installer_env).
std::vector<std::string> step_env(const std::string& venv, const std::string& package,
                                  const Installer& installer = {}) {
  runner::EnvInputs in;
  in.venv = venv;
  in.gil = GilMode::Unset;
  in.package = package;
  in.mode = "setup";
  const auto base = runner::current_environment();
  in.user = {{"PIP_DISABLE_PIP_VERSION_CHECK", "1"}, {"PIP_NO_INPUT", "1"}};
  for (auto& kv : installer_env(installer, base)) in.user.push_back(kv);
  return runner::to_entries(runner::build_environment(base, in).env);
}

// The line of a failed step's output that says why. pip quotes a failed build's own
// output between "╰─> [N lines of output]" and "[end of output]", uv after "[stderr]"
// (or "[stdout]") up to its "hint:": the last line there is the package's message. Otherwise the last line that mentions an error, skipping
// pip's boilerplate; otherwise the last non-empty line.
std::string telling_line(std::string_view text) {
  auto lines = split_lines(text);
  std::string quoted, erroring, fallback;
  bool in_quote = false;
  for (auto line : lines) {
    std::string t = trim(line);
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
  return !quoted.empty() ? quoted : !erroring.empty() ? erroring : fallback;
}

struct StepResult {
  bool ok = false;
  std::string error;  // last meaningful stderr line
  std::string out;    // stdout tail
};

// Runs one step under process supervision (own process group, timeout, no orphans).
StepResult run_step(const std::vector<std::string>& argv, const fs::path& cwd, const std::vector<std::string>& env,
                    const fs::path& dir, const std::string& name, double timeout_s) {
  auto spec = process::helper_spec(argv, cwd.string(), env, dir, name, timeout_s);
  spec.watchdog.grace_s = 5;
  process::Result r = process::supervise(spec);
  StepResult s;
  s.out = r.out.tail;
  const auto& t = r.termination;
  s.ok = process::exited_zero(r);
  if (!s.ok) {
    std::string why = !t.started ? t.start_error
                      : t.timed_out ? fmt::format("timed out after {:g} s, the set-up timeout per step", timeout_s)
                      : t.signal   ? "killed by " + runner::signal_name(t.signal)
                                   : fmt::format("exit {}", t.exit_code.value_or(-1));
    std::string last = telling_line(r.err.tail);
    if (last.empty()) last = telling_line(r.out.tail);
    s.error = fmt::format("{} failed ({}){}", name, why, last.empty() ? "" : ": " + last);
  }
  return s;
}

// The stress tools: pytest-run-parallel (with the target interpreter's own pip, however
// the venv was made) and our plugin, into <venv>/labeille-ft-stress/. "" when done.
std::string install_stress_tools(const PrepareOptions& o, const fs::path& venv, const fs::path& src,
                                 const std::vector<std::string>& env, const fs::path& dir) {
  const fs::path tools = venv / runner::kStressToolsDir;
  auto s = run_step({o.python, "-m", "pip", "install", "--quiet", "--upgrade", "--no-deps", "--target", tools.string(),
                     kStressRequirement},
                    src, env, dir, "stress-tools", o.timeout_s);
  if (!s.ok) return s.error;
  std::error_code ec;
  fs::copy_file(o.stress_plugin, tools / o.stress_plugin.filename(), fs::copy_options::overwrite_existing, ec);
  return ec ? fmt::format("cannot install {}: {}", o.stress_plugin.string(), ec.message()) : "";
}

// What the steps of prepare() share: options, paths, environments, the record.
struct Prep {
  const PrepareOptions& o;
  fs::path dir, src, venv;               // the record's directory (also the logs'), sources, venv
  std::vector<std::string> env, plain_env;  // with the venv first on PATH / without it
  SetupRecord& rec;
};

// A step that failed: the record's stage and error. No value: the step succeeded.
struct Failure {
  std::string stage, error;
};
using StepOutcome = std::optional<Failure>;

StepOutcome source_failed(std::string error) { return Failure{"source", std::move(error)}; }

// Sources, PATH: a copy of a local directory.
StepOutcome copy_path(Prep& p) {
  std::error_code ec;
  p.rec.install_from = "path";
  fs::remove_all(p.src, ec);
  fs::copy(p.o.path, p.src, fs::copy_options::recursive | fs::copy_options::copy_symlinks, ec);
  if (ec) return source_failed(fmt::format("cannot copy {} to {}: {}", p.o.path, p.src.string(), ec.message()));
  return {};
}

// Sources, GIT: a clone, or a fetch + checkout of one kept from an earlier run.
StepOutcome git_sources(Prep& p) {
  const auto& o = p.o;
  std::error_code ec;
  p.rec.install_from = "git";
  StepResult s;
  if (fs::exists(p.src / ".git")) {  // --repos-dir reuse: fetch instead of cloning again
    std::vector<std::string> fetch = {"git", "-C", p.src.string(), "fetch", "--quiet"};
    if (o.depth > 0) fetch.push_back(fmt::format("--depth={}", o.depth));
    fetch.push_back("origin");
    if (!o.ref.empty()) fetch.push_back(o.ref);
    s = run_step(fetch, p.src, p.plain_env, p.dir, "git-fetch", o.timeout_s);
    if (s.ok) s = run_step({"git", "-C", p.src.string(), "checkout", "--quiet", "--force", "FETCH_HEAD"}, p.src,
                           p.plain_env, p.dir, "git-checkout", o.timeout_s);
  } else {
    fs::remove_all(p.src, ec);
    std::vector<std::string> clone = {"git", "clone", "--quiet"};
    if (o.depth > 0) clone.push_back(fmt::format("--depth={}", o.depth));
    if (!o.ref.empty()) clone.insert(clone.end(), {"--branch", o.ref});
    clone.insert(clone.end(), {o.git, p.src.string()});
    s = run_step(clone, o.repos_dir, p.plain_env, p.dir, "git-clone", o.timeout_s);
  }
  if (!s.ok) return source_failed(s.error);
  auto head = run_step({"git", "-C", p.src.string(), "rev-parse", "HEAD"}, p.src, p.plain_env, p.dir, "git-rev-parse", 60);
  if (head.ok) p.rec.commit = trim(head.out);
  return {};
}

// Sources, SDIST: pip downloads the sdist, tar unpacks it, its top directory becomes src.
StepOutcome sdist_sources(Prep& p) {
  const auto& o = p.o;
  std::error_code ec;
  p.rec.install_from = "sdist";
  fs::path dl = p.dir / "sdist";
  fs::create_directories(dl);
  std::string spec = o.version.empty() ? o.sdist : o.sdist + "==" + o.version;
  auto s = run_step({o.python, "-m", "pip", "download", "--quiet", "--no-deps", "--no-binary", ":all:",
                     "-d", dl.string(), spec},
                    dl, p.plain_env, p.dir, "pip-download", o.timeout_s);
  if (!s.ok) return source_failed(s.error);
  fs::path archive;
  for (auto& e : fs::directory_iterator(dl))
    if (e.path().string().ends_with(".tar.gz") || e.path().string().ends_with(".zip")) archive = e.path();
  if (archive.empty()) return source_failed("pip download produced no sdist archive");
  fs::path unpack = p.dir / "unpacked";
  fs::create_directories(unpack);
  auto u = run_step({"tar", "-xf", archive.string(), "-C", unpack.string()}, dl, p.plain_env, p.dir, "unpack", 300);
  if (!u.ok) return source_failed(u.error);
  fs::path top;
  for (auto& e : fs::directory_iterator(unpack))
    if (e.is_directory()) top = e.path();
  if (top.empty()) return source_failed("the sdist holds no top-level directory");
  fs::remove_all(p.src, ec);
  fs::rename(top, p.src, ec);
  if (ec) fs::copy(top, p.src, fs::copy_options::recursive, ec);
  auto name = archive.filename().string();
  auto dash = name.rfind('-');
  p.rec.sdist_version = dash == std::string::npos ? "" : name.substr(dash + 1, name.find(".tar.gz") - dash - 1);
  return {};
}

// 1. Sources, from the one place the options name.
StepOutcome get_sources(Prep& p) {
  std::error_code ec;
  fs::create_directories(p.o.repos_dir, ec);
  if (!p.o.path.empty()) return copy_path(p);
  if (!p.o.git.empty()) return git_sources(p);
  if (!p.o.sdist.empty()) return sdist_sources(p);
  return source_failed("no source: give --git, --path or --sdist");
}

// 2. The venv (rebuilt only when the interpreter, installer or install recipe changed;
//    the stamp is written once the whole set-up succeeded) and the install, then the
//    extra deps. When uv fails, pip gets the package from a fresh venv (a build that
//    needs pip's behaviour); the record says so, and the logs of both attempts stay
//    (pip's steps are named pip-*).
StepOutcome install_with(Prep& p, const Installer& in, bool reuse, const std::string& prefix) {
  const auto& o = p.o;
  std::error_code ec;
  if (!reuse) {
    fs::remove_all(p.venv, ec);
    fs::create_directories(p.venv.parent_path(), ec);
    auto v = run_step(venv_argv(in, o.python, p.venv.string()), p.venv.parent_path(), step_env("", o.package, in), p.dir,
                      prefix + "venv", 600);
    if (!v.ok) return Failure{"venv", v.error};
  }
  const std::string install = o.install_command.empty() ? "python -m pip install . pytest" : o.install_command;
  auto env = step_env(p.venv.string(), o.package, in);
  auto s = run_step(install_argv(in, install), p.src, env, p.dir, prefix + "install", o.timeout_s);
  if (!s.ok) return Failure{"install", s.error};
  if (!o.extra_deps.empty()) {
    auto x = run_step(requirements_argv(in, (p.venv / "bin" / "python").string(), o.extra_deps), p.src, env, p.dir,
                      prefix + "extra-deps", o.timeout_s);
    if (!x.ok) return Failure{"extra_deps", x.error};
  }
  return {};
}

StepOutcome venv_and_install(Prep& p) {
  const fs::path stamp_file = p.venv / ".labeille-ft-stamp";
  std::string old_stamp;
  if (fs::exists(stamp_file)) old_stamp = read_file(stamp_file);
  p.rec.reused_venv = old_stamp == venv_stamp(p.o) && fs::exists(p.venv / "bin" / "python");
  p.rec.installer = std::string(to_string(p.o.installer.kind));
  auto failed = install_with(p, p.o.installer, p.rec.reused_venv, "");
  if (failed && p.o.installer.kind == InstallerKind::Uv) {
    p.rec.installer = "pip";
    p.rec.installer_fallback = failed->error;
    failed = install_with(p, Installer{}, false, "pip-");
  }
  return failed;
}

// 3. Stress mode only: the stress tools (install_stress_tools above).
StepOutcome stress_tools(Prep& p) {
  if (!p.o.stress) return {};
  auto why = install_stress_tools(p.o, p.venv, p.src, p.plain_env, p.dir);
  if (!why.empty()) return Failure{"stress_tools", why};
  return {};
}

// 4. The startup hook, and byte-compiled site-packages: with PYTHONDONTWRITEBYTECODE
//    set (common in CI images) each iteration would compile every module again, long
//    silent starts that look like stalls. uv installs without compiling; this compiles
//    for both installers. Then the installed version.
StepOutcome install_hook(Prep& p) {
  std::error_code ec;
  const std::string py = (p.venv / "bin" / "python").string();
  auto site = run_step({py, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"}, p.src, p.env, p.dir,
                       "site-packages", 120);
  if (!site.ok) return Failure{"hook", site.error};
  fs::path purelib = trim(site.out);
  for (const char* f : {"labeille_ft_hook.py", "labeille_ft_hook.pth"}) {
    fs::copy_file(p.o.hook_dir / f, purelib / f, fs::copy_options::overwrite_existing, ec);
    if (ec) return Failure{"hook", fmt::format("cannot install {}: {}", (p.o.hook_dir / f).string(), ec.message())};
  }
  // pip itself is left out: iterations do not import it (a suite that runs pip compiles
  // it as it would anywhere with PYTHONDONTWRITEBYTECODE), and with uv, which installs
  // without compiling, pip's ~800 modules would be most of this step.
  run_step({py, "-m", "compileall", "-q", "-j", "0", "-x", "/site-packages/pip/", purelib.string()}, p.src, p.env, p.dir,
           "compileall", 600);
  auto ver = run_step({py, "-c", "import importlib.metadata as m, sys; print(m.version(sys.argv[1]))", p.o.package},
                      p.src, p.env, p.dir, "version", 120);
  if (ver.ok) p.rec.version = trim(ver.out);
  return {};
}

}  // namespace

std::string venv_stamp(const PrepareOptions& o) {
  return fmt::format("python={}\ninstaller={}\ninstall={}\nextra={}\n", o.python, to_string(o.installer.kind),
                     o.install_command, fmt::join(o.extra_deps, ","));
}

SetupRecord prepare(const PrepareOptions& o) {
  auto claimed = claim_attempt_dir(o.record_dir / o.package, "setup");
  const double t0 = monotonic_s();
  SetupRecord rec;
  Prep p{o, fs::absolute(claimed.dir), fs::absolute(o.repos_dir / o.package), fs::absolute(o.venvs_dir / o.package),
         {}, {}, rec};
  p.env = step_env(p.venv.string(), o.package);
  p.plain_env = step_env("", o.package);
  rec.attempt_id = fmt::format("{}:{}:{}", host_name(), ::getpid(), p.dir.filename().string());
  rec.package = o.package;
  rec.start_time = iso8601_utc_now();
  rec.source_dir = p.src.string();
  rec.venv = p.venv.string();
  rec.python = o.python;
  rec.log_path = p.dir.string();
  rec.host = host_name();

  StepOutcome failed;
  for (auto step : {get_sources, venv_and_install, stress_tools, install_hook})
    if ((failed = step(p))) break;
  if (!failed) atomic_write_file(p.venv / ".labeille-ft-stamp", venv_stamp(o));
  rec.ok = !failed;
  rec.stage = failed ? failed->stage : "";
  rec.error = failed ? failed->error : "";
  rec.duration_s = monotonic_s() - t0;
  rec.end_time = iso8601_utc_now();
  atomic_write_file(p.dir / attempt_files::kRecord, to_json(rec));
  return rec;
}

std::string ctest_details(std::string_view text) {
  std::string out;
  for (char c : text) out += (c == '\n' || c == '\r') ? ' ' : c;
  const std::string_view tag = "</CTestDetails>";
  for (auto at = out.find(tag); at != std::string::npos; at = out.find(tag, at))
    out.replace(at, tag.size(), "(/CTestDetails)");
  return out;
}

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
  // importing is read from the output like a test's (runner::supervise).
  runner::SuperviseSpec spec(process::helper_spec({(venv / "bin" / "python").string(), o.probe_script.string(), rec.import_name,
                                   o.detect_extensions ? "1" : "0", fmt::format("{:g}", std::max(10.0, o.timeout_s / 4))},
                                  dir.string(), step_env(venv.string(), o.package), dir, "probe", o.timeout_s));
  auto r = runner::supervise(spec);

  std::string answer;
  for (auto line : split_lines(r.out.tail))
    if (line.rfind("LABEILLE_PROBE_RESULT:", 0) == 0) answer = std::string(line.substr(22));
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
    auto v = runner::classify(r.termination, r.fatal_error, r.crash_frames);
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
