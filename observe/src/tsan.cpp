#include "labeille/observe/tsan.hpp"

#include <algorithm>
#include <fstream>

#include <fmt/format.h>

#include "labeille/observe/output_scan.hpp"

namespace fs = std::filesystem;

namespace labeille::observe {

namespace {
// TSAN's flag parser takes a value in single or double quotes as it is.
std::string quoted(const std::string& v) {
  return v.find('\'') == std::string::npos ? "'" + v + "'" : "\"" + v + "\"";
}
}  // namespace

std::string tsan_options(const fs::path& log_dir, const std::string& suppressions) {
  std::string o = fmt::format("halt_on_error=0 exitcode=0 log_path={}", quoted((log_dir / "report").string()));
  if (!suppressions.empty()) o += " suppressions=" + quoted(fs::absolute(suppressions).string());
  return o;
}

TsanLogs read_tsan_logs(const fs::path& log_dir) {
  TsanLogs out;
  std::vector<fs::path> files;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(log_dir, ec))
    if (e.path().filename().string().rfind("report.", 0) == 0) files.push_back(e.path());
  std::sort(files.begin(), files.end());
  for (const auto& f : files) {
    OutputScanner scan(true);
    std::ifstream in(f, std::ios::binary);
    std::string buf(64 * 1024, '\0');
    std::uint64_t read = 0;
    while (in && read < kMaxTsanLogBytes) {
      in.read(buf.data(), static_cast<std::streamsize>(buf.size()));
      auto n = static_cast<std::size_t>(in.gcount());
      if (n == 0) break;
      scan.feed(std::string_view(buf.data(), n));
      read += n;
    }
    scan.finish();
    ++out.files;
    out.count += scan.tsan_count();
    merge_tsan_reports(out.reports, scan.tsan_reports(), OutputScanner::kMaxDistinctTsan);
    if (out.fatal.empty()) out.fatal = scan.tsan_fatal();
  }
  return out;
}

}  // namespace labeille::observe
