// The machine a run measured on, as the Python labeille tool's SystemProfile describes it
// (ft_meta.json's system_profile; docs/records.md has every key and its type), so its
// `ft show` names the machine ("System: <cpu_model>, <ram_total_gb>GB RAM, <os_distro>").
#pragma once

#include <filesystem>
#include <string>

namespace labeille {

// One JSON object, measured now from /proc, uname and statvfs of `results_dir` (or of its
// nearest existing parent). Best effort: a field that cannot be read keeps that tool's
// default ("unknown", 0, null).
std::string system_profile_json(const std::filesystem::path& results_dir);

}  // namespace labeille
