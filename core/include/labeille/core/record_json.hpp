// The set-up record's "source" and "declared" objects inside another JSON document: the
// same writer and reader the records use (record_json.cpp), for ft_results.jsonl, which
// keeps them per package, and for the set-up's declared helper, whose answer is one.
#pragma once

#include "labeille/core/json.hpp"
#include "labeille/core/record.hpp"

namespace labeille {

void write_json(json::Out<json::LineWriter>& o, const SourceInfo& s);
void write_json(json::Out<json::LineWriter>& o, const DeclaredInfo& d);
void write_json(json::Out<json::LineWriter>& o, const CauseInfo& c);
// Strict as every reader (core/json.hpp): a field of the wrong type is an Error.
SourceInfo read_source_info(const json::Reader& in);
DeclaredInfo read_declared_info(const json::Reader& in);
CauseInfo read_cause_info(const json::Reader& in);

}  // namespace labeille
