#include "labeille/setup/setup.hpp"

#include "labeille/setup/adapt.hpp"

#include <unistd.h>

#include <algorithm>
#include <fstream>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <rapidjson/document.h>

#include "labeille/core/error.hpp"
#include "labeille/core/fs.hpp"
#include "labeille/core/names.hpp"
#include "labeille/core/text.hpp"
#include "labeille/core/time.hpp"
#include "labeille/process/supervisor.hpp"
#include "labeille/runner/classify.hpp"
#include "labeille/runner/environment.hpp"
#include "labeille/runner/supervise_test.hpp"

namespace fs = std::filesystem;

namespace labeille::setup {

namespace {

constexpr const char* kDefaultInstall = "python -m pip install . pytest";

// The environment of every set-up step: the venv first on PATH (so `pip` and `python`
// in an install command mean the venv's), PYTHON_GIL unset, no PYTHONPATH/PYTHONHOME.
std::vector<std::string> step_env(const std::string& venv, const std::string& package) {
  runner::EnvInputs in;
  in.venv = venv;
  in.gil = GilMode::Unset;
  in.package = package;
  in.mode = "setup";
  in.user = {{"PIP_DISABLE_PIP_VERSION_CHECK", "1"}, {"PIP_NO_INPUT", "1"}};
  return runner::to_entries(runner::build_environment(runner::current_environment(), in).env);
}

// The line of a failed step's output that says why. pip quotes a failed build's own
// output between "╰─> [N lines of output]" and "[end of output]": the last line there
// is the package's message. Otherwise the last line that mentions an error, skipping
// pip's boilerplate; otherwise the last non-empty line.
std::string telling_line(std::string_view text) {
  auto lines = split_lines(text);
  std::string quoted, erroring, fallback;
  bool in_quote = false;
  for (auto line : lines) {
    std::string t = trim(line);
    if (t.find("lines of output]") != std::string::npos) {
      in_quote = true;
      continue;
    }
    if (t == "[end of output]") {
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
                      : t.timed_out ? fmt::format("timed out after {:g} s", timeout_s)
                      : t.signal   ? "killed by " + runner::signal_name(t.signal)
                                   : fmt::format("exit {}", t.exit_code.value_or(-1));
    std::string last = telling_line(r.err.tail);
    if (last.empty()) last = telling_line(r.out.tail);
    s.error = fmt::format("{} failed ({}){}", name, why, last.empty() ? "" : ": " + last);
  }
  return s;
}

// The sources' text of a failed step, or "".
struct Fetched {
  bool ok = false;
  std::string error;
};

// git clone (or fetch + checkout in a reused --repos-dir) into src; the commit goes into rec.
Fetched fetch_git(const PrepareOptions& o, const fs::path& src, const fs::path& dir, const std::vector<std::string>& env,
                  SetupRecord& rec) {
  StepResult s;
  std::error_code ec;
  if (fs::exists(src / ".git")) {  // --repos-dir reuse: fetch instead of cloning again
    std::vector<std::string> fetch = {"git", "-C", src.string(), "fetch", "--quiet"};
    if (o.depth > 0) fetch.push_back(fmt::format("--depth={}", o.depth));
    fetch.push_back("origin");
    if (!o.ref.empty()) fetch.push_back(o.ref);
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
  if (!s.ok) return {false, s.error};
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
  std::string spec = o.version.empty() ? dist : dist + "==" + o.version;
  auto s = run_step({o.python, "-m", "pip", "download", "--quiet", "--no-deps", "--no-binary", dist, "-d", dl.string(),
                     spec},
                    dl, env, dir, "pip-download", o.timeout_s);
  if (!s.ok) return {false, s.error};
  fs::path archive;
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
  std::string json;
  for (auto line : split_lines(r.out))
    if (line.rfind("LABEILLE_DECLARED_RESULT:", 0) == 0) json = std::string(line.substr(25));
  DeclaredInfo d;
  if (json.empty()) {
    d.error = r.ok ? "labeille_ft_declared.py printed no result" : r.error;
    return d;
  }
  try {
    d = parse_declared_info(json, "labeille_ft_declared.py");
    rapidjson::Document doc;
    doc.Parse(json.c_str());
    if (doc.HasMember("sdist_url") && doc["sdist_url"].IsString()) *sdist_url = doc["sdist_url"].GetString();
  } catch (const Error& e) {
    d.error = e.what();
  }
  return d;
}

}  // namespace

std::string venv_stamp(const PrepareOptions& o, const std::string& install_command) {
  return fmt::format("python={}\ninstall={}\nextra={}\n", o.python, install_command, fmt::join(o.extra_deps, ","));
}

std::string effective_source(const PrepareOptions& o) {
  if (!o.source.empty()) return o.source;
  return o.git.empty() && o.path.empty() && !o.sdist.empty() ? "sdist" : "repo";
}

SetupRecord prepare(const PrepareOptions& o) {
  auto claimed = claim_attempt_dir(o.record_dir / o.package, "setup");
  const fs::path dir = fs::absolute(claimed.dir);
  const fs::path src = fs::absolute(o.repos_dir / o.package);
  const fs::path venv = fs::absolute(o.venvs_dir / o.package);
  const double t0 = monotonic_s();
  SetupRecord rec;
  rec.attempt_id = fmt::format("{}:{}:{}", host_name(), ::getpid(), dir.filename().string());
  rec.package = o.package;
  rec.start_time = iso8601_utc_now();
  rec.source_dir = src.string();
  rec.venv = venv.string();
  rec.python = o.python;
  rec.log_path = dir.string();
  rec.host = host_name();
  auto env = step_env(venv.string(), o.package);
  auto plain_env = step_env("", o.package);

  std::string archive;  // the sdist's file name, when the sources are one
  auto finish = [&](bool ok, const std::string& stage, const std::string& error) {
    // What the package declares, once its venv exists (also when the install failed:
    // the declaration of a package that does not install is worth showing).
    if (stage != "source" && stage != "venv" && fs::exists(venv / "bin" / "python")) {
      const double t = monotonic_s();
      std::string url;
      rec.declared = read_declared(o, (venv / "bin" / "python").string(), o.sdist.empty() ? o.package : o.sdist,
                                   rec.version.empty() ? rec.sdist_version : rec.version, src, archive, dir, env, &url);
      if (rec.source && rec.source->kind == "sdist" && !url.empty()) rec.source->url = url;
      rec.steps.declared_s = monotonic_s() - t;
    }
    rec.ok = ok;
    rec.stage = ok ? "" : stage;
    rec.error = error;
    rec.duration_s = monotonic_s() - t0;
    rec.end_time = iso8601_utc_now();
    atomic_write_file(dir / attempt_files::kRecord, to_json(rec));
    return rec;
  };

  // 1. Sources: the repository (or a local path), the sdist, or the repository with the
  //    sdist as fallback when it cannot be fetched (--source auto).
  std::error_code ec;
  fs::create_directories(o.repos_dir, ec);
  const std::string mode = effective_source(o);
  const std::string dist = o.sdist.empty() ? o.package : o.sdist;
  SourceInfo& source = rec.source.emplace();
  double t = monotonic_s();
  Fetched got;
  if (mode != "sdist" && !o.path.empty()) {
    rec.install_from = source.kind = "path";
    source.url = o.path;
    fs::remove_all(src, ec);
    fs::copy(o.path, src, fs::copy_options::recursive | fs::copy_options::copy_symlinks, ec);
    got = {!ec, ec ? fmt::format("cannot copy {} to {}: {}", o.path, src.string(), ec.message()) : ""};
  } else if (mode != "sdist" && !o.git.empty()) {
    rec.install_from = "git";
    source.kind = "repo";
    source.url = o.git;
    got = fetch_git(o, src, dir, plain_env, rec);
    if (!got.ok && mode == "auto") source.fallback_reason = got.error;
  }
  if (mode == "sdist" || source.fallback_reason || (mode == "auto" && source.kind.empty())) {
    rec.install_from = source.kind = "sdist";
    source.url.reset();
    got = fetch_sdist(o, dist, src, dir, plain_env, rec, &archive);
    if (got.ok) source.version = rec.sdist_version;
  }
  rec.steps.source_s = monotonic_s() - t;
  if (source.kind.empty()) return finish(false, "source", "no source: give --git, --path or --sdist");
  if (!got.ok) {
    if (source.fallback_reason)
      got.error = fmt::format("{} (after the repository failed: {})", got.error, *source.fallback_reason);
    return finish(false, "source", got.error);
  }

  // The install command, made to work in an unpacked sdist; are the tests there?
  std::string install = o.install_command.empty() ? kDefaultInstall : o.install_command;
  if (source.kind == "sdist") {
    auto adapted = adapt_for_sdist(install, src);
    install = adapted.command;
    source.adapted = adapted.notes;
  }
  if (!o.test_command.empty()) {
    auto tests = check_tests(o.test_command, src, source.kind == "sdist" ? "sdist" : "sources");
    source.tests_present = tests.present;
    if (!tests.note.empty()) source.tests_note = tests.note;
  }

  // 2. The venv, rebuilt only when the interpreter or the install recipe changed.
  const fs::path stamp_file = venv / ".labeille-ft-stamp";
  const std::string stamp = venv_stamp(o, install);
  t = monotonic_s();
  std::string old_stamp;
  if (fs::exists(stamp_file)) old_stamp = read_file(stamp_file);
  rec.reused_venv = old_stamp == stamp && fs::exists(venv / "bin" / "python");
  if (!rec.reused_venv) {
    fs::remove_all(venv, ec);
    fs::create_directories(venv.parent_path(), ec);
    auto s = run_step({o.python, "-m", "venv", venv.string()}, venv.parent_path(), plain_env, dir, "venv", 600);
    if (!s.ok) return finish(false, "venv", s.error);
  }
  rec.steps.venv_s = monotonic_s() - t;

  // 3. Install (the venv's pip and python come first on PATH).
  t = monotonic_s();
  auto s = run_step({"/bin/sh", "-c", install}, src, env, dir, "install", o.timeout_s);
  rec.steps.install_s = monotonic_s() - t;
  if (!s.ok) return finish(false, "install", s.error);
  if (!o.extra_deps.empty()) {
    std::vector<std::string> argv = {(venv / "bin" / "python").string(), "-m", "pip", "install", "--quiet"};
    argv.insert(argv.end(), o.extra_deps.begin(), o.extra_deps.end());
    auto x = run_step(argv, src, env, dir, "extra-deps", o.timeout_s);
    rec.steps.install_s = monotonic_s() - t;
    if (!x.ok) return finish(false, "extra_deps", x.error);
  }

  // 4. The startup hook, and byte-compiled site-packages: with PYTHONDONTWRITEBYTECODE
  //    set (common in CI images) each iteration would compile every module again, long
  //    silent starts that look like stalls.
  t = monotonic_s();
  const std::string py = (venv / "bin" / "python").string();
  auto site = run_step({py, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"}, src, env, dir,
                       "site-packages", 120);
  if (!site.ok) return finish(false, "hook", site.error);
  fs::path purelib = trim(site.out);
  for (const char* f : {"labeille_ft_hook.py", "labeille_ft_hook.pth"}) {
    fs::copy_file(o.hook_dir / f, purelib / f, fs::copy_options::overwrite_existing, ec);
    if (ec) return finish(false, "hook", fmt::format("cannot install {}: {}", (o.hook_dir / f).string(), ec.message()));
  }
  run_step({py, "-m", "compileall", "-q", purelib.string()}, src, env, dir, "compileall", 600);
  auto ver = run_step({py, "-c", "import importlib.metadata as m, sys; print(m.version(sys.argv[1]))", o.package}, src,
                      env, dir, "version", 120);
  if (ver.ok) rec.version = trim(ver.out);
  if (source.kind != "sdist" && !rec.version.empty()) source.version = rec.version;
  rec.steps.hook_s = monotonic_s() - t;
  atomic_write_file(stamp_file, stamp);
  return finish(true, "", "");
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

  std::string json;
  for (auto line : split_lines(r.out.tail))
    if (line.rfind("LABEILLE_PROBE_RESULT:", 0) == 0) json = std::string(line.substr(22));
  rapidjson::Document d;
  if (!json.empty()) d.Parse(json.c_str());
  if (!json.empty() && !d.HasParseError() && d.IsObject()) {
    rec.ok = d["ok"].GetBool();
    rec.error = d["error"].GetString();
    if (d["gil_enabled_after_import"].IsBool()) rec.gil_enabled_after_import = d["gil_enabled_after_import"].GetBool();
    rec.gil_reenabled_by = d["gil_reenabled_by"].GetString();
    auto kinds = scan_tree(o.repos_dir / o.package);
    std::string declared = kinds.empty() ? "none" : fmt::format("{}", fmt::join(kinds, ","));
    for (auto& e : d["extensions"].GetArray()) {
      ExtensionInfo x;
      x.module = e["module"].GetString();
      x.path = e["path"].GetString();
      x.import_ok = e["import_ok"].GetBool();
      x.import_error = e["import_error"].GetString();
      if (e["reenabled_gil"].IsBool()) x.reenabled_gil = e["reenabled_gil"].GetBool();
      x.declaration = declared;
      rec.extensions.push_back(std::move(x));
    }
  } else {
    // The import itself crashed, hung or the interpreter could not start.
    auto v = runner::classify(r.termination, r.fatal_error, r.crash_frames);
    rec.ok = false;
    rec.crash = v.crash;
    std::string last = last_line(r.err.tail);
    rec.error = fmt::format("import probe {}: {}{}", std::string(to_string(v.outcome)), v.detail,
                            last.empty() ? "" : " — " + last);
  }
  rec.duration_s = monotonic_s() - t0;
  rec.end_time = iso8601_utc_now();
  atomic_write_file(dir / attempt_files::kRecord, to_json(rec));
  return rec;
}

}  // namespace labeille::setup
