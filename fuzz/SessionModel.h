// The data the session fuzzer loads: one archive kept across several messages,
// each a Message whose objects travel through every kind of pointer (raw and
// owned by the caller, unique_ptr, shared_ptr, Unowned) inside maps, sets,
// optionals, variants and vectors, so that references can reach objects of
// earlier messages, objects a container dropped and objects the program has
// destroyed since. The corpus generator stores the same model.
#pragma once

#include "FuzzOptions.h"

#include <xsock/Archive.h>

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <variant>
#include <vector>

namespace session {

// Counts its live instances: raw pointers loaded as the caller's own are
// deleted by the harness when the session ends.
class Item : public xsock::Object {
    XSOCK_DECLARE_SERIAL(Item)
  public:
    Item();
    Item(const Item&) = delete;
    Item& operator=(const Item&) = delete;
    ~Item() override;
    void Serialize(xsock::Archive& ar) override;
    std::int32_t id = 0;
    std::string label;
    Item* peer = nullptr;  // not owned
};

class Holder : public xsock::Object {
    XSOCK_DECLARE_SERIAL(Holder)
  public:
    void Serialize(xsock::Archive& ar) override;
    std::map<std::string, std::unique_ptr<Item>> byName;
    std::set<std::int32_t> tags;
    std::optional<std::shared_ptr<Item>> maybe;
    std::variant<std::monostate, std::unique_ptr<Item>, std::shared_ptr<Item>, std::string> choice;
    std::vector<std::unique_ptr<Holder>> children;
    std::vector<std::shared_ptr<Item>> shared;
    Item* reference = nullptr;  // not owned
};

struct Message {
    std::unique_ptr<Holder> root;
    std::map<std::int32_t, std::unique_ptr<Item>> index;
    std::vector<std::shared_ptr<Item>> items;
    std::optional<std::unique_ptr<Item>> optional;
    std::variant<std::monostate, std::shared_ptr<Holder>, std::unique_ptr<Item>> variant;
    Item* raw = nullptr;      // the caller's own when newly created
    Item* unowned = nullptr;  // not owned
};

void Store(xsock::Archive& ar, const Message& message);
void Load(xsock::Archive& ar, Message& message);

// Deletes every Item still alive: those loaded through raw pointers, once the
// messages and the archive are gone. Returns how many there were.
std::size_t DeleteLeftoverItems();

// A session input is an options byte, then messages: a control byte (what the
// program does with earlier messages before this one arrives), a 2-byte
// little-endian length, and that many archive bytes.
using fuzz::DecodeOptions;
using fuzz::EncodeOptions;
using fuzz::Options;

enum Control : std::uint8_t {
    kDestroyOldest = 1,  // destroy the oldest kept message
    kLoadInPlace = 2,    // load into the newest kept message instead of a new one
    kDropShared = 4,     // every kept message lets go of its shared_ptrs
};

// Example sessions for the seed corpus: each a list of (control, message).
std::vector<std::vector<std::pair<std::uint8_t, Message>>> SeedSessions();

}  // namespace session
