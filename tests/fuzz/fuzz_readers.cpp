// A seeded mutation fuzzer for every reader of labeille ft: attempt/setup/probe records
// and started markers, ft_results.jsonl, ft_meta.json, CTest's JUnit and Test.xml, pytest
// JUnit, registry YAML. Built with AddressSanitizer and UndefinedBehaviorSanitizer (see
// tests/fuzz/CMakeLists.txt), so a memory error or undefined behaviour in a reader kills
// it. For every seed file in the corpus it feeds the reader (through the same entry
// points the commands use) the seed itself and mutations of it: truncations, flipped
// bytes, NULs, invalid UTF-8, retyped JSON values and XML attributes, deep nesting,
// duplicated content, and (with --big) one 50 MB line. The contract:
//
//   - the reader returns, or throws labeille::Error naming the file, with exit code 3;
//     fold instead skips the input with a warning naming its path;
//   - nothing else: no other exception, no crash, no sanitizer report, no hang (CTest's
//     TIMEOUT), nothing written outside the case's directory, and every view of what
//     was read is valid UTF-8.
//
// usage: fuzz_readers CORPUS_DIR WORK_DIR [--seed N] [--mutations N] [--big]
// A failing input is saved under WORK_DIR/failures/ and named on stderr; exit 1.
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <random>
#include <string>
#include <vector>

#include "labeille/analyzers/fold.hpp"
#include "labeille/analyzers/results_io.hpp"
#include "labeille/analyzers/views.hpp"
#include "labeille/core/cmake_value.hpp"
#include "labeille/core/error.hpp"
#include "labeille/core/fs.hpp"
#include "labeille/core/record.hpp"
#include "labeille/core/text.hpp"
#include "labeille/registry/registry.hpp"

namespace fs = std::filesystem;
using namespace labeille;

namespace {

int failures = 0;
int inputs = 0;

void write(const fs::path& p, const std::string& s) {
  fs::create_directories(p.parent_path());
  std::ofstream(p, std::ios::binary) << s;
}

std::string read(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

void fail(const fs::path& work, const std::string& seed_name, int n, const std::string& input, std::string why) {
  ++failures;
  if (why.size() > 400) why = why.substr(0, 400) + "...";
  fs::path saved = work / "failures" / (seed_name + "." + std::to_string(n));
  write(saved, input);
  std::cerr << "FAIL " << seed_name << " mutation " << n << ": " << why << " (input saved as " << saved.string()
            << ")\n";
}

// Every view of a run that was read: output must be valid UTF-8 (NUL is not expected
// either: sanitize turns it into U+2400).
void render_all(const analyzers::RunResults& run) {
  analyzers::Style plain{false};
  std::vector<std::string> outs = {
      analyzers::render_show(run, analyzers::SortBy::Category, 0, plain),
      analyzers::render_flaky(run, "", plain),
      analyzers::render_compat(run, false, plain),
      analyzers::render_compare(run, run, false),
      analyzers::render_compare(run, run, true),
      analyzers::render_report(run, "markdown"),
      analyzers::render_report(run, "text"),
      analyzers::render_report(run, "html"),
      analyzers::render_export(run, "csv"),
      analyzers::render_export(run, "json"),
  };
  for (const auto& o : outs) {
    if (sanitize_utf8(o) != o) throw std::runtime_error("a view wrote invalid UTF-8 or a NUL byte");
    // One sanitizer (safe_text) for every byte from a test: no control sequence reaches a
    // terminal, a report or a CSV cell (issue #20).
    if (safe_text(o) != o) throw std::runtime_error("a view wrote a control character");
  }
}

// Folds `records` (+ CTest files) into `out` and reads the result back with every view.
void fold_and_view(const analyzers::FoldInputs& in, const fs::path& out, const fs::path& input_root) {
  analyzers::FoldReport report;
  analyzers::fold_to_dir(in, report, out, "");
  for (const auto& p : report.problems)
    if (p.rfind(input_root.string(), 0) != 0) throw std::runtime_error("a fold warning names no input path: " + p);
  render_all(analyzers::read_run(out, analyzers::ReadOptions::everything()));
}

// The reader for one kind of seed file, fed `text` in a fresh `dir`. Returns the path the
// errors must name.
using Target = std::function<fs::path(const std::string& text, const fs::path& dir)>;

fs::path records_dir_with(const fs::path& dir, const std::string& file, const std::string& text) {
  fs::path attempt = dir / "records" / "pkg" / "gil0.iter01.a001";
  write(attempt / file, text);
  return attempt / file;
}

Target target_for(const std::string& name, const fs::path& corpus) {
  if (name.rfind("record", 0) == 0)
    return [](const std::string& t, const fs::path& dir) {
      fs::path f = records_dir_with(dir, "record.json", t);
      try {
        parse_record(t, f.string());
      } catch (const Error& e) {
        if (std::string(e.what()).find(f.string()) == std::string::npos) throw;
      }
      fold_and_view({{dir / "records"}, {}, {}}, dir / "out", dir / "records");
      return f;
    };
  if (name.rfind("started", 0) == 0)
    return [corpus](const std::string& t, const fs::path& dir) {
      fs::path f = records_dir_with(dir, "started.json", t);
      try {
        parse_started(t, f.string());
      } catch (const Error& e) {
        if (std::string(e.what()).find(f.string()) == std::string::npos) throw;
      }
      // A lost run: CTest says the iteration failed, only the marker is there.
      fold_and_view({{dir / "records"}, {corpus / "ctest_junit.xml"}, {}}, dir / "out", dir / "records");
      return f;
    };
  if (name.rfind("pytest_junit", 0) == 0)
    return [corpus](const std::string& t, const fs::path& dir) {
      fs::path f = records_dir_with(dir, "junit.xml", t);
      write(f.parent_path() / "record.json", read(corpus / "record_attempt.json"));
      analyzers::parse_pytest_junit(t, f.string());
      fold_and_view({{dir / "records"}, {}, {}}, dir / "out", dir / "records");
      return f;
    };
  if (name.rfind("ctest_junit", 0) == 0 || name.rfind("Test", 0) == 0) {
    const bool junit = name.rfind("ctest_junit", 0) == 0;
    return [corpus, junit](const std::string& t, const fs::path& dir) {
      fs::path f = dir / "ctest" / (junit ? "junit.xml" : "Test.xml");
      write(f, t);
      records_dir_with(dir, "record.json", read(corpus / "record_attempt.json"));
      analyzers::FoldInputs in{{dir / "records"}, {}, {}};
      (junit ? in.ctest_junit : in.ctest_xml).push_back(f);
      try {
        junit ? (void)analyzers::read_ctest_junit(f) : (void)analyzers::read_ctest_xml(f);
      } catch (const Error& e) {
        if (std::string(e.what()).find(f.string()) == std::string::npos) throw;
      }
      analyzers::FoldReport report;
      analyzers::fold_to_dir(in, report, dir / "out", "");
      for (const auto& p : report.problems)
        if (p.rfind(dir.string(), 0) != 0) throw std::runtime_error("a fold warning names no input path: " + p);
      render_all(analyzers::read_run(dir / "out", analyzers::ReadOptions::everything()));
      return f;
    };
  }
  if (name.rfind("ft_results", 0) == 0 || name.rfind("ft_meta", 0) == 0) {
    const bool results = name.rfind("ft_results", 0) == 0;
    return [corpus, results](const std::string& t, const fs::path& dir) {
      fs::path run = dir / "run";
      write(run / "ft_results.jsonl", results ? t : read(corpus / "ft_results.jsonl"));
      write(run / "ft_meta.json", results ? read(corpus / "ft_meta.json") : t);
      render_all(analyzers::read_run(run, analyzers::ReadOptions::everything()));
      if (!results) {  // the meta as fold's --meta and as the base of a new fold
        analyzers::merge_meta("", t, (run / "ft_meta.json").string());
        analyzers::FoldReport report;
        analyzers::fold_to_dir({{dir / "no-records"}, {}, {}}, report, run, analyzers::read_meta(run / "ft_meta.json"));
      }
      return run / (results ? "ft_results.jsonl" : "ft_meta.json");
    };
  }
  if (name.rfind("index", 0) == 0 || name.rfind("package", 0) == 0) {
    const bool index = name.rfind("index", 0) == 0;
    return [corpus, index](const std::string& t, const fs::path& dir) {
      fs::path reg = dir / "registry";
      write(reg / "index.yaml", index ? t : read(corpus / "index.yaml"));
      for (const char* p : {"ft-compatible", "ft-only-incompatible", "ft-crash"})
        write(reg / "packages" / (std::string(p) + ".yaml"), index ? read(corpus / "package.yaml") : t);
      auto r = registry::load(reg);
      for (const auto& p : r.problems)
        if (p.file.string().rfind(reg.string(), 0) != 0) throw std::runtime_error("a problem names no file");
      auto chosen = registry::choose(r, registry::Selection{});
      if (sanitize_utf8(registry::render_cmake(r, chosen)).empty()) throw std::runtime_error("empty render");
      return reg / (index ? "index.yaml" : "packages");
    };
  }
  if (name.rfind("cmake_value", 0) == 0)
    // Issue #20's boundary: a value through the one writer of CMake values
    // (core/cmake_value.hpp) and the module's item decoder comes back byte for byte, or
    // (not UTF-8, a NUL) is refused with an Error (exit 3 here: the fuzzer's contract).
    return [](const std::string& t, const fs::path& dir) {
      const fs::path script = dir / "roundtrip.cmake";
      try {
        check_cmake_value(t, script.string(), kExitInput);
      } catch (const Error&) {
        if (sanitize_utf8(t) == t && t.find('\r') == std::string::npos)
          throw std::runtime_error("a valid UTF-8 value was refused");
        throw;
      }
      // The 50 MB case: the writer only (no command line or path is that long; a CMake run
      // over 150 MB of script would be the slowest case of the whole fuzzer).
      if (t.size() > (1u << 20)) {
        if (cmake_bracket(t).find(t) == std::string::npos) throw std::runtime_error("the bracket lost the value");
        return script;
      }
      const fs::path module = fs::path(LABEILLE_FT_SOURCE_DIR) / "cmake" / "modules" / "LabeilleFT.cmake";
      // The decoder, as the module defines it (the module itself needs a project).
      const std::string text = read(module);
      const auto from = text.find("function(_labeille_ft_item_decode");
      const auto to = text.find("endfunction()", from);
      if (from == std::string::npos || to == std::string::npos) throw std::runtime_error("no decoder in the module");
      std::string code = text.substr(from, to - from) + "endfunction()\n";
      code += "set(v " + cmake_bracket(t) + ")\nfile(WRITE " + cmake_bracket((dir / "scalar").string()) + " \"${v}\")\n";
      code += "set(l " + cmake_list({t, "x", t}) + ")\nset(_out \"\")\nforeach(_i IN LISTS l)\n"
              "  _labeille_ft_item_decode(_d \"${_i}\")\n  string(APPEND _out \"${_d}<sep>\")\nendforeach()\n"
              "file(WRITE " + cmake_bracket((dir / "list").string()) + " \"${_out}\")\n";
      write(script, code);
      const std::string cmd = "cmake -P '" + script.string() + "' > /dev/null 2>&1";
      if (std::system(cmd.c_str()) != 0) throw std::runtime_error("cmake -P failed on the round trip script");
      if (read(dir / "scalar") != t) throw std::runtime_error("a bracket argument changed the value");
      if (read(dir / "list") != t + "<sep>x<sep>" + t + "<sep>") throw std::runtime_error("a list item changed");
      return script;
    };
  return nullptr;
}

// ---- mutations ----------------------------------------------------------------------

struct Mutator {
  std::mt19937_64 rng;
  std::size_t pick(std::size_t n) { return n == 0 ? 0 : std::uniform_int_distribution<std::size_t>(0, n - 1)(rng); }

  // The position right after a random occurrence of `what`, or npos.
  std::size_t after(const std::string& s, const std::string& what) {
    std::vector<std::size_t> at;
    for (auto p = s.find(what); p != std::string::npos; p = s.find(what, p + 1)) at.push_back(p + what.size());
    return at.empty() ? std::string::npos : at[pick(at.size())];
  }

  std::string operator()(std::string s) {
    static const std::vector<std::string> kJsonValues = {
        "\"x\"", "-5", "1e400", "[]", "{}", "null", "true", "\"\\u0000\"", "99999999999999999999", "-0.0", "3.5",
        "\"\xff\xfe\"", "[[[[[[[[[[]]]]]]]]]]", "\"\\ud800\"",
        // Issue #20: out of the numeric range policy, terminal control sequences, a
        // spreadsheet formula.
        "1e308", "4294967297", "1000000000000000", "-9007199254740993", "\"\\u001b]0;PWNED\\u0007\\u001b[2J\"",
        "\"\x1b[2J\x9b\"", "\"=HYPERLINK(\\\"http://x\\\")\""};
    static const std::vector<std::string> kAttr = {"-1", "nan", "x", "1e999", "", "99999999999999999999", "\xc0\x80"};
    static const std::vector<std::string> kYaml = {"[1, 2]", "{a: b}", "!!binary AAAA", "*nowhere", "~",
                                                   "99999999999999999999", "\"\xff\"", "&a [*a]", "- x", "? [a]"};
    static const std::vector<std::string> kBad = {"\xff", "\xc0\x80", "\xed\xa0\x80", "\xe2\x82", "\xf4\x90\x80\x80",
                                                  std::string(1, '\0'), "\r", "\x1b[31m", "\x1b]0;PWNED\x07",
                                                  "\xc2\x9b"};
    switch (pick(10)) {
      case 0:  // truncate
        return s.substr(0, pick(s.size() + 1));
      case 1:  // flip bits
        for (int i = 0, n = 1 + static_cast<int>(pick(8)); i < n && !s.empty(); ++i)
          s[pick(s.size())] ^= static_cast<char>(1u << pick(8));
        return s;
      case 2:  // NULs and invalid UTF-8 at random places (often inside strings)
        for (int i = 0, n = 1 + static_cast<int>(pick(4)); i < n; ++i) s.insert(pick(s.size() + 1), kBad[pick(kBad.size())]);
        return s;
      case 3: {  // retype a JSON value
        auto p = after(s, "\":");
        if (p == std::string::npos) return s + "\x01";
        while (p < s.size() && s[p] == ' ') ++p;
        auto end = s.find_first_of(",}\n", p);
        if (end == std::string::npos) end = s.size();
        return s.substr(0, p) + kJsonValues[pick(kJsonValues.size())] + s.substr(end);
      }
      case 4: {  // retype an XML attribute
        auto p = after(s, "=\"");
        if (p == std::string::npos) return s;
        auto end = s.find('"', p);
        if (end == std::string::npos) return s;
        return s.substr(0, p) + kAttr[pick(kAttr.size())] + s.substr(end);
      }
      case 5: {  // retype a YAML value
        auto p = after(s, ": ");
        if (p == std::string::npos) return s;
        auto end = s.find('\n', p);
        if (end == std::string::npos) end = s.size();
        return s.substr(0, p) + kYaml[pick(kYaml.size())] + s.substr(end);
      }
      case 6: {  // deep nesting at a random place
        const std::size_t depth = 1000 + pick(200000);
        static const std::vector<std::pair<std::string, std::string>> kNest = {
            {"[", "]"}, {"{\"a\":", "}"}, {"<a>", "</a>"}, {"- ", ""}, {"[", ""}};
        const auto& [open, close] = kNest[pick(kNest.size())];
        std::string nest;
        nest.reserve(depth * (open.size() + close.size()));
        for (std::size_t i = 0; i < depth; ++i) nest += open;
        for (std::size_t i = 0; i < depth; ++i) nest += close;
        s.insert(pick(s.size() + 1), nest);
        return s;
      }
      case 7:  // duplicated content (two objects on a line, two documents)
        return s + s;
      case 8: {  // remove a random slice
        auto a = pick(s.size() + 1), b = pick(s.size() + 1);
        if (a > b) std::swap(a, b);
        return s.erase(a, b - a);
      }
      default: {  // swap two random lines
        auto lines = split_lines(s);
        if (lines.size() < 2) return s + "\n" + s;
        std::vector<std::string> v(lines.begin(), lines.end());
        std::swap(v[pick(v.size())], v[pick(v.size())]);
        std::string out;
        for (auto& l : v) out += l + "\n";
        return out;
      }
    }
  }
};

// 50 MB in one line: a huge string value in the first string field.
std::string big(const std::string& seed) {
  auto p = seed.find(":\"");
  std::string filler(50u << 20, 'a');
  if (p == std::string::npos) return seed + filler;
  return seed.substr(0, p + 2) + filler + seed.substr(p + 2);
}

bool run_one(const Target& target, const std::string& input, const fs::path& work, const std::string& name, int n) {
  ++inputs;
  const fs::path dir = work / "cases" / name;
  fs::remove_all(dir);
  fs::create_directories(dir);
  fs::path named;
  try {
    named = target(input, dir);
  } catch (const Error& e) {
    std::string msg = e.what();
    if (e.exit_code() != kExitInput) {
      fail(work, name, n, input, "Error with exit code " + std::to_string(e.exit_code()) + ": " + msg);
      return false;
    }
    if (msg.find(dir.string()) == std::string::npos) {
      fail(work, name, n, input, "error names no input file: " + msg);
      return false;
    }
    if (sanitize_utf8(msg) != msg) {
      fail(work, name, n, input, "error message is not valid UTF-8");
      return false;
    }
  } catch (const std::exception& e) {
    fail(work, name, n, input, std::string("unexpected exception: ") + e.what());
    return false;
  }
  // Nothing written outside the case's own directory.
  for (const auto& e : fs::directory_iterator(work))
    if (e.path().filename() != "cases" && e.path().filename() != "failures") {
      fail(work, name, n, input, "wrote outside its directory: " + e.path().string());
      fs::remove_all(e.path());
      return false;
    }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::cerr << "usage: fuzz_readers CORPUS_DIR WORK_DIR [--seed N] [--mutations N] [--big]\n";
    return 64;
  }
  const fs::path corpus = argv[1], work = fs::absolute(argv[2]);
  std::uint64_t seed = 703;
  int mutations = 100;
  bool with_big = false;
  for (int i = 3; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--seed" && i + 1 < argc) seed = std::stoull(argv[++i]);
    else if (a == "--mutations" && i + 1 < argc) mutations = std::stoi(argv[++i]);
    else if (a == "--big") with_big = true;
  }
  fs::remove_all(work);
  std::vector<fs::path> seeds;
  for (auto& e : fs::directory_iterator(corpus))
    if (e.is_regular_file()) seeds.push_back(e.path());
  std::sort(seeds.begin(), seeds.end());
  Mutator mutate{std::mt19937_64(seed)};
  for (const auto& s : seeds) {
    const std::string name = s.filename().string();
    Target target = target_for(name, corpus);
    if (!target) {
      std::cerr << "fuzz_readers: no reader for corpus file " << name << "\n";
      return 64;
    }
    const std::string text = read(s);
    // The seed itself must be read without any error: it is what the writers produce.
    try {
      target(text, work / "cases" / (name + ".seed"));
    } catch (const std::exception& e) {
      fail(work, name, 0, text, std::string("the seed itself is refused: ") + e.what());
    }
    for (int n = 1; n <= mutations; ++n) run_one(target, mutate(text), work, name, n);
    if (with_big) run_one(target, big(text), work, name, -1);
  }
  fs::remove_all(work / "cases");
  std::cerr << "fuzz_readers: " << inputs << " inputs from " << seeds.size() << " seeds (seed " << seed << "), "
            << failures << " failure(s)\n";
  return failures == 0 ? 0 : 1;
}
