// CommandTable: registration and case-insensitive lookup (see command_table.h).
#include "server/command_table.h"

#include <cstdio>
#include <cstdlib>

namespace walnut::server {
namespace {

// Lower-cases name into buf (command names are short; longer names cannot
// match any row, so they are left as they are and miss).
std::string_view Lower(std::string_view name, char* buf, size_t cap) {
  if (name.size() > cap) return name;
  for (size_t i = 0; i < name.size(); i++) {
    char c = name[i];
    buf[i] = (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
  }
  return std::string_view(buf, name.size());
}

}  // namespace

void CommandTable::Register(CommandSpec spec) {
  std::string key(spec.name);
  if (by_name_.find(key) != by_name_.end()) {
    std::fprintf(stderr, "walnut: command '%s' registered twice\n", key.c_str());
    std::abort();
  }
  rows_.push_back(std::make_unique<CommandSpec>(std::move(spec)));
  by_name_.emplace(std::move(key), rows_.back().get());
}

const CommandSpec* CommandTable::Find(std::string_view name) const {
  char buf[64];
  std::string_view lower = Lower(name, buf, sizeof(buf));
  // Debian's Abseil has its own string_view type.
  auto it = by_name_.find(absl::string_view(lower.data(), lower.size()));
  return it == by_name_.end() ? nullptr : it->second;
}

const CommandSpec* CommandTable::FindSubcommand(const CommandSpec& container,
                                                std::string_view name) {
  char buf[64];
  std::string_view lower = Lower(name, buf, sizeof(buf));
  for (const CommandSpec& sub : container.subcommands) {
    if (sub.name == lower) return &sub;
  }
  return nullptr;
}

}  // namespace walnut::server
