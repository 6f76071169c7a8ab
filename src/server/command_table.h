// CommandTable: the server's command rows, looked up by name.
//
// Filled once at start-up by the Register*Commands functions (command.h) and
// read-only afterwards, so lookups need no locking. Names are matched case-
// insensitively, as Redis does.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "server/command.h"

namespace walnut::server {

class CommandTable {
 public:
  CommandTable() = default;
  CommandTable(const CommandTable&) = delete;
  CommandTable& operator=(const CommandTable&) = delete;

  // Adds a row. The name must be lower case and not yet registered (a
  // duplicate is a programming error: it aborts with a message at start-up).
  void Register(CommandSpec spec);

  // The row for `name` (any case), or null.
  const CommandSpec* Find(std::string_view name) const;
  // The subcommand of `container` named `name` (any case), or null.
  static const CommandSpec* FindSubcommand(const CommandSpec& container, std::string_view name);

  // Every row, in registration order.
  const std::vector<std::unique_ptr<CommandSpec>>& all() const { return rows_; }
  size_t size() const { return rows_.size(); }

 private:
  std::vector<std::unique_ptr<CommandSpec>> rows_;
  // Lower-case name -> row. Rows are heap-allocated so pointers stay valid.
  absl::flat_hash_map<std::string, const CommandSpec*> by_name_;
};

}  // namespace walnut::server
