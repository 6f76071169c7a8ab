// Unit tests for CommandTable: registration, case-insensitive lookup,
// subcommands, and that every family registers without clashes.
#include "server/command_table.h"

#include <gtest/gtest.h>

namespace walnut::server {
namespace {

void Nop(CommandContext&) {}

// A row with only the fields these tests look at (the rest default).
CommandSpec Spec(std::string_view name, int arity, CommandHandler handler = nullptr) {
  CommandSpec s;
  s.name = name;
  s.arity = arity;
  s.handler = handler;
  return s;
}

TEST(CommandTable, FindIsCaseInsensitive) {
  CommandTable t;
  t.Register(Spec("get", 2, Nop));
  t.Register(Spec("set", -3, Nop));
  ASSERT_NE(t.Find("GET"), nullptr);
  EXPECT_EQ(t.Find("gEt")->name, "get");
  EXPECT_EQ(t.Find("Set")->arity, -3);
  EXPECT_EQ(t.Find("nope"), nullptr);
  EXPECT_EQ(t.Find(""), nullptr);
  EXPECT_EQ(t.Find(std::string(1000, 'g')), nullptr);
}

TEST(CommandTable, Subcommands) {
  CommandTable t;
  CommandSpec c = Spec("client", -2);
  c.subcommands = {Spec("id", 2, Nop)};
  t.Register(std::move(c));
  const CommandSpec* client = t.Find("CLIENT");
  ASSERT_NE(client, nullptr);
  ASSERT_NE(CommandTable::FindSubcommand(*client, "ID"), nullptr);
  EXPECT_EQ(CommandTable::FindSubcommand(*client, "nope"), nullptr);
}

TEST(CommandTable, AllFamiliesRegisterWithoutClashes) {
  CommandTable t;
  RegisterStringCommands(t);
  RegisterKeyCommands(t);
  RegisterConnectionCommands(t);
  RegisterServerCommands(t);
  RegisterTransactionCommands(t);
  RegisterDebugCommands(t);
  for (const char* name : {"get", "set", "ping", "client", "info", "multi", "exec", "debug",
                           "config", "command", "del", "select", "hello", "auth"}) {
    const CommandSpec* s = t.Find(name);
    ASSERT_NE(s, nullptr) << name;
    EXPECT_TRUE(s->handler != nullptr || !s->subcommands.empty()) << name;
  }
}

}  // namespace
}  // namespace walnut::server
