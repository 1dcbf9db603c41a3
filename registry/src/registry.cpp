#include "labeille/core/names.hpp"
#include "labeille/registry/registry.hpp"

#include <yaml-cpp/depthguard.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <fmt/format.h>
#include <regex>
#include <type_traits>

#include "labeille/core/error.hpp"
#include "labeille/core/fs.hpp"

namespace labeille::registry {
namespace fs = std::filesystem;

std::string Problem::to_string() const {
  return line > 0 ? fmt::format("{}:{}: {}", file.string(), line, message)
                  : fmt::format("{}: {}", file.string(), message);
}

bool is_valid_name(const std::string& name) { return is_package_name(name); }

namespace {

template <typename T>
constexpr const char* type_name() {
  if constexpr (std::is_same_v<T, bool>) return "true or false";
  else if constexpr (std::is_integral_v<T>) return "an integer";
  else return "a string";
}

// What a node holds, for an error: its scalar text or its kind.
std::string shown(const YAML::Node& node) {
  if (node.IsScalar()) return fmt::format("\"{}\"", node.Scalar().substr(0, 40));
  return node.IsSequence() ? "a list" : node.IsMap() ? "a mapping" : "something else";
}

// A field's value, or nothing when absent or null. A value of the wrong type throws a
// YAML::Exception at the node's line that names the field, the type and the value.
template <typename T>
std::optional<T> field(const YAML::Node& map, const char* key) {
  const YAML::Node node = map[key];
  if (!node || node.IsNull()) return std::nullopt;
  try {
    return node.as<T>();
  } catch (const YAML::BadConversion&) {
    throw YAML::Exception(node.Mark(), fmt::format("field {}: expected {}, got {}", key, type_name<T>(), shown(node)));
  }
}

template <typename T>
void assign(T& out, const YAML::Node& map, const char* key) {
  if (auto value = field<T>(map, key)) out = *value;
}

// skip_versions is a map {"3.13": reason} in labeille; a plain list of versions is
// accepted too.
std::map<std::string, std::string> read_skip_versions(const YAML::Node& node) {
  std::map<std::string, std::string> out;
  if (!node || node.IsNull()) return out;
  if (node.IsMap()) {
    for (const auto& kv : node)
      out[kv.first.as<std::string>()] = kv.second.IsNull() ? "" : kv.second.as<std::string>();
  } else if (node.IsSequence()) {
    for (const auto& item : node) out[item.as<std::string>()] = "";
  } else {
    throw YAML::TypedBadConversion<std::map<std::string, std::string>>(node.Mark());
  }
  return out;
}

Problem problem_from(const fs::path& file, const YAML::Exception& e) {
  // yaml-cpp marks are 0-based; an unknown mark has line -1.
  const int line = e.mark.line >= 0 ? e.mark.line + 1 : 0;
  // yaml-cpp 0.7 gives its nesting limit the message of a missing file ("bad file").
  if (const auto* deep = dynamic_cast<const YAML::DeepRecursion*>(&e))
    return {file, line,
            fmt::format("nested deeper than {} levels (the YAML parser's limit); refused", deep->depth())};
  return {file, line, e.msg};
}

class DiskReader final : public FileReader {
 public:
  bool is_file(const fs::path& path) const override { return fs::is_regular_file(path); }
  std::string read(const fs::path& path) const override { return labeille::read_file(path); }
};

void read_package_file(const std::string& text, Package& pkg) {
  const YAML::Node doc = YAML::Load(text);
  if (!doc.IsMap()) throw YAML::TypedBadConversion<Package>(doc.Mark());
  if (auto declared = field<std::string>(doc, "package"); declared && *declared != pkg.name)
    throw Error(fmt::format("package: \"{}\" does not match the index name \"{}\"", *declared, pkg.name));
  assign(pkg.repo, doc, "repo");
  assign(pkg.install_command, doc, "install_command");
  assign(pkg.test_command, doc, "test_command");
  assign(pkg.import_name, doc, "import_name");
  assign(pkg.install_method, doc, "install_method");
  pkg.timeout = field<int>(doc, "timeout");
  pkg.clone_depth = field<int>(doc, "clone_depth");
  assign(pkg.uses_xdist, doc, "uses_xdist");
  assign(pkg.serial_iterations, doc, "serial_iterations");
  assign(pkg.skip, doc, "skip");
  assign(pkg.skip_reason, doc, "skip_reason");
  try {
    pkg.skip_versions = read_skip_versions(doc["skip_versions"]);
  } catch (const YAML::BadConversion& e) {
    throw YAML::Exception(e.mark, "field skip_versions: expected a mapping {\"3.13\": reason} or a list of versions, got " +
                                      shown(doc["skip_versions"]));
  }
}

}  // namespace

Registry load(const fs::path& dir) { return load(dir, DiskReader()); }

Registry load(const fs::path& dir, const FileReader& files) {
  Registry reg;
  reg.dir = fs::absolute(dir).lexically_normal();
  const fs::path index_file = reg.dir / "index.yaml";
  if (!files.is_file(index_file))
    throw Error(fmt::format("{}: registry index not found (is DIR a labeille registry?)", index_file.string()));

  if (const fs::path schema = reg.dir / "schema.yaml"; files.is_file(schema)) {
    try {
      const YAML::Node s = YAML::Load(files.read(schema));
      if (s.IsMap()) reg.schema_version = field<int>(s, "schema_version").value_or(0);
    } catch (const YAML::Exception& e) {
      reg.problems.push_back(problem_from(schema, e));
    }
  }

  YAML::Node index;
  try {
    index = YAML::Load(files.read(index_file));
  } catch (const YAML::Exception& e) {
    throw Error(problem_from(index_file, e).to_string());
  }
  const YAML::Node entries = index.IsMap() ? index["packages"] : YAML::Node();
  if (!entries || !entries.IsSequence())
    throw Error(fmt::format("{}: field packages: expected a list of packages", index_file.string()));

  for (const YAML::Node& entry : entries) {
    Package pkg;
    try {
      if (!entry.IsMap()) throw YAML::TypedBadConversion<Package>(entry.Mark());
      pkg.name = field<std::string>(entry, "name").value_or("");
      pkg.download_count = field<long long>(entry, "download_count");
      assign(pkg.index_skip, entry, "skip");
    } catch (const YAML::Exception& e) {
      reg.problems.push_back(problem_from(index_file, e));
      continue;
    }
    if (pkg.name.size() > kMaxPackageName) {  // before it is a path: "File name too long" ends no run
      reg.problems.push_back({index_file, entry.Mark().line + 1,
                              fmt::format("field name: \"{}...\" is longer than {} characters ({}); refused",
                                          pkg.name.substr(0, 40), kMaxPackageName, pkg.name.size())});
      continue;
    }
    if (!is_valid_name(pkg.name)) {
      reg.problems.push_back({index_file, entry.Mark().line + 1,
                              fmt::format("field name: \"{}\" is not a valid package name (PEP 508); refused", pkg.name)});
      continue;
    }
    const fs::path file = reg.dir / "packages" / (pkg.name + ".yaml");
    if (!files.is_file(file)) {
      reg.problems.push_back({file, 0, "package file not found; package left out"});
      continue;
    }
    try {
      read_package_file(files.read(file), pkg);
    } catch (const YAML::Exception& e) {
      reg.problems.push_back(problem_from(file, e));
      continue;
    } catch (const Error& e) {
      reg.problems.push_back({file, 0, e.what()});
      continue;
    }
    reg.packages.push_back(std::move(pkg));
  }
  return reg;
}

std::vector<std::string> pin_problems(const Registry& registry, const Chosen& chosen, std::string_view source) {
  std::vector<std::string> out;
  for (const Package& p : chosen.run) {
    if (p.version.empty()) continue;
    const std::string item = p.name + "==" + p.version;
    const bool version_chars = std::all_of(p.version.begin(), p.version.end(), [](char c) {
      return std::isalnum(static_cast<unsigned char>(c)) || std::string_view(".!+_-*").find(c) != std::string_view::npos;
    });
    const Source src = source_of(p, registry.dir);
    if (!version_chars)
      out.push_back(fmt::format("--packages \"{}\": \"{}\" is not a version (PEP 440: letters, digits, . ! + _ - *)",
                                item, p.version));
    else if (src.kind == Source::Kind::path)
      out.push_back(fmt::format("--packages \"{}\": {}'s repo is a local path ({}), which is always installed as it "
                                "is; a version cannot be pinned",
                                item, p.name, src.location));
    else if (src.kind == Source::Kind::git && source == "repo")
      out.push_back(fmt::format("--packages \"{}\": a version pins the sdist, and --source repo clones {}'s repo; "
                                "give --source sdist or auto",
                                item, p.name));
  }
  return out;
}

std::pair<std::string, std::string> split_pin(const std::string& item) {
  auto at = item.find("==");
  if (at == std::string::npos) return {item, ""};
  return {item.substr(0, at), item.substr(at + 2)};
}

void add_packages(Selection& selection, const std::vector<std::string>& items) {
  for (const auto& item : items) {
    auto [name, version] = split_pin(item);
    selection.names.push_back(name);
    if (!version.empty()) selection.versions[name] = version;
  }
}

Chosen choose(const Registry& registry, const Selection& selection) {
  Chosen out;
  std::vector<const Package*> ranked;
  for (const Package& p : registry.packages) {
    if (!selection.names.empty() &&
        std::find(selection.names.begin(), selection.names.end(), p.name) == selection.names.end())
      continue;
    ranked.push_back(&p);
  }
  for (const std::string& wanted : selection.names) {
    if (std::none_of(registry.packages.begin(), registry.packages.end(),
                     [&](const Package& p) { return p.name == wanted; }))
      out.problems.push_back({registry.dir / "index.yaml", 0,
                              fmt::format("PACKAGES: \"{}\" is not in the registry (or was left out above)", wanted)});
  }
  // download_count descending, unknown counts last, ties by name: stable across runs.
  std::sort(ranked.begin(), ranked.end(), [](const Package* a, const Package* b) {
    if (a->download_count.has_value() != b->download_count.has_value()) return a->download_count.has_value();
    if (a->download_count && *a->download_count != *b->download_count) return *a->download_count > *b->download_count;
    return a->name < b->name;
  });
  for (const Package* p : ranked) {
    if (selection.top && out.run.size() >= *selection.top) break;
    if (p->index_skip || p->skip) {
      out.skipped.emplace_back(p->name, p->skip_reason.empty() ? "skip: true" : p->skip_reason);
      continue;
    }
    if (auto it = p->skip_versions.find(selection.python_version);
        !selection.python_version.empty() && it != p->skip_versions.end()) {
      out.skipped.emplace_back(p->name, fmt::format("skip_versions[{}]{}{}", it->first,
                                                    it->second.empty() ? "" : ": ", it->second));
      continue;
    }
    out.run.push_back(*p);
    if (auto v = selection.versions.find(p->name); v != selection.versions.end()) out.run.back().version = v->second;
  }
  return out;
}

Source source_of(const Package& package, const fs::path& registry_dir) {
  const std::string& repo = package.repo;
  if (repo.empty()) return {Source::Kind::sdist, package.name};
  fs::path local;
  if (repo.starts_with("file://")) {
    local = repo.substr(7);
  } else if (repo.find("://") != std::string::npos || repo.starts_with("git@")) {
    return {Source::Kind::git, repo};
  } else {
    local = repo;
  }
  if (local.is_relative()) local = registry_dir / local;
  local = local.lexically_normal();
  // A local git repository is cloned (so REF works); a plain directory is used as is. The
  // error_code forms: a hostile repo value (a path too long for the system) is just not a
  // git repository, never an exception (found by tests/fuzz).
  std::error_code ec;
  if (fs::exists(local / ".git", ec) || fs::exists(local / "HEAD", ec))
    return {Source::Kind::git, "file://" + local.string()};
  return {Source::Kind::path, local.string()};
}

}  // namespace labeille::registry
