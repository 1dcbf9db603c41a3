// labeille's package registry, read for the CMake module.
//
// Layout (the labeille tool's): <dir>/schema.yaml (schema_version), <dir>/index.yaml
// (packages: [{name, download_count, extension_type, enriched, skip}]) and one
// <dir>/packages/<name>.yaml per package. Unknown fields are ignored; null fields take
// their defaults. A package whose file is malformed (bad YAML, wrong type) is reported as a
// Problem naming the file and line and left out; the others are still read. Names outside
// PEP 508's grammar are refused before any path is built from them.
#pragma once

#include <cstddef>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace labeille::registry {

struct Package {
  std::string name;
  std::optional<long long> download_count;  // index.yaml; null = unknown (ranked last)
  bool index_skip = false;                  // index.yaml's skip
  std::string repo;        // URL, or (our extension) local path / file:// URL; "" = sdist
  std::string install_command, test_command, import_name, install_method;
  std::optional<int> timeout, clone_depth;
  bool uses_xdist = false;
  bool serial_iterations = false;  // our field: the suite cannot run beside itself (shared ports, files outside its tree)
  bool skip = false;  // the package file's skip
  std::string skip_reason;
  std::map<std::string, std::string> skip_versions;  // "3.13" -> reason
  std::string version;  // pinned by the selection (name==version): the sdist's version
};

struct Problem {
  std::filesystem::path file;
  int line = 0;  // 1-based; 0 when unknown
  std::string message;
  std::string to_string() const;  // "<file>:<line>: <message>"
};

struct Registry {
  std::filesystem::path dir;
  int schema_version = 0;
  std::vector<Package> packages;  // index order, only the readable ones
  std::vector<Problem> problems;
};

// The package-name rule of every part (labeille::is_package_name, core/names.hpp).
bool is_valid_name(const std::string& name);

// The registry's files, behind an interface so tests can read in-memory registries.
class FileReader {
 public:
  virtual ~FileReader() = default;
  virtual bool is_file(const std::filesystem::path& path) const = 0;
  // The whole file; throws labeille::Error naming the path when it cannot be read.
  virtual std::string read(const std::filesystem::path& path) const = 0;
};

// Reads the whole registry. Throws labeille::Error when the directory or index.yaml is
// missing or unreadable (nothing to run); per-package trouble lands in problems.
Registry load(const std::filesystem::path& dir, const FileReader& files);
Registry load(const std::filesystem::path& dir);  // from disk

struct Selection {
  std::optional<std::size_t> top;   // TOP n after ranking and skips
  std::vector<std::string> names;   // PACKAGES: only these (must be in the index)
  std::map<std::string, std::string> versions;  // name -> pinned sdist version
  std::string python_version;       // target X.Y, for skip_versions
};

struct Chosen {
  std::vector<Package> run;                               // ranked
  std::vector<std::pair<std::string, std::string>> skipped;  // name, reason
  std::vector<Problem> problems;                          // e.g. unknown PACKAGES name
};

// "idna==3.10" -> {"idna", "3.10"}; "idna" -> {"idna", ""}. The PACKAGES / --packages
// form that pins a package's sdist version.
std::pair<std::string, std::string> split_pin(const std::string& item);

// Names and pins of a package list into the selection.
void add_packages(Selection& selection, const std::vector<std::string>& items);

// Ranks by download_count descending (nulls last, then name), drops skipped packages
// (index skip, file skip, skip_versions[python_version]), then keeps the first `top`.
Chosen choose(const Registry& registry, const Selection& selection);

// How a package's sources are fetched, from its `repo`.
struct Source {
  enum class Kind { git, path, sdist } kind = Kind::sdist;
  std::string location;  // URL or absolute path
};
// http(s)/ssh/git URLs -> git; file:// URL or a path (absolute, or relative to the
// registry dir) -> path, unless it is a git repository (has .git) -> git; "" -> sdist.
Source source_of(const Package& package, const std::filesystem::path& registry_dir);

// A pin can only be honoured where an sdist is fetched: the package's source must be an
// sdist (no repo), or a git repo under --source sdist|auto; a local path always installs
// from the path, a repo under --source repo clones HEAD. One message per pin that would
// be ignored or is not a version (PEP 440 characters only: letters, digits, . ! + _ - *),
// naming the --packages item.
std::vector<std::string> pin_problems(const Registry& registry, const Chosen& chosen, std::string_view source);

// Wraps `text` as a CMake bracket argument ([=[...]=]) that no content can close.
std::string bracket_quote(const std::string& text);

// CMake code: a message() per problem and skip, then one labeille_ft_add_package() call
// per chosen package, every argument bracket-quoted, each call ending with
// ${LABEILLE_FT_REGISTRY_EXTRA_ARGS} (the caller's pass-through keywords).
std::string render_cmake(const Registry& registry, const Chosen& chosen);

}  // namespace labeille::registry
