// The data the archive fuzzer loads: an object tree with every kind of pointer
// (owning unique_ptr children, shared leaves, unowned back pointers), strings
// of both widths, containers, a variant and text lines. The corpus generator
// stores the same model, so seeds start the fuzzer on well-formed archives.
#pragma once

#include "FuzzOptions.h"

#include <xsock/Archive.h>

#include <cstdint>
#include <span>
#include <vector>

namespace fuzz {

class Leaf : public xsock::Object {
    XSOCK_DECLARE_SERIAL(Leaf)
  public:
    void Serialize(xsock::Archive& ar) override;
    std::string tag;
    std::vector<std::int16_t> samples;
};

class Branch : public xsock::Object {
    XSOCK_DECLARE_SERIAL(Branch)
  public:
    void Serialize(xsock::Archive& ar) override;
    std::u16string title;
    std::map<std::string, std::uint32_t> attributes;
    std::vector<std::unique_ptr<Branch>> children;
    std::shared_ptr<Leaf> leaf;
    Branch* parent = nullptr;
    std::optional<double> weight;
};

// Reads schema 1 and 2 (VERSIONABLE_SCHEMA).
class Versioned : public xsock::Object {
    XSOCK_DECLARE_SERIAL(Versioned)
  public:
    void Serialize(xsock::Archive& ar) override;
    std::int32_t a = 0;
    std::wstring b;
};

struct Model {
    std::unique_ptr<Branch> tree;
    std::shared_ptr<Leaf> extra;
    std::vector<std::unique_ptr<Versioned>> versions;
    std::wstring note;
    std::vector<std::uint64_t> numbers;
    std::map<std::string, std::vector<std::int16_t>> table;
    std::variant<std::monostate, std::int32_t, std::string, std::u16string> choice;
    std::optional<std::array<float, 3>> point;
    std::deque<bool> flags;
    std::vector<std::string> lines;
};

void Store(xsock::Archive& ar, const Model& model);
void Load(xsock::Archive& ar, Model& model);

// A fuzz input is one options byte (FuzzOptions.h), then archive bytes.

// Example models for the seed corpus.
std::vector<Model> SeedModels();

}  // namespace fuzz
