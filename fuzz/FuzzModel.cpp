#include "FuzzModel.h"

namespace fuzz {

using xsock::Archive;

XSOCK_IMPLEMENT_SERIAL(Leaf, xsock::Object, 1)
XSOCK_IMPLEMENT_SERIAL(Branch, xsock::Object, 1)
XSOCK_IMPLEMENT_SERIAL(Versioned, xsock::Object, xsock::VERSIONABLE_SCHEMA | 2)

void Leaf::Serialize(Archive& ar) {
    ar.Exchange(tag, samples);
}

void Branch::Serialize(Archive& ar) {
    ar.Exchange(title, attributes, children, leaf, xsock::Unowned(parent), weight);
}

void Versioned::Serialize(Archive& ar) {
    if (ar.IsStoring()) {
        ar << a << b;
        return;
    }
    const unsigned schema = ar.GetObjectSchema();
    ar >> a;
    if (schema >= 2) {
        ar >> b;
    }
}

void Store(Archive& ar, const Model& m) {
    ar << m.tree << m.extra << m.versions << m.note << m.numbers << m.table << m.choice << m.point
       << m.flags;
    ar.WriteCount(m.lines.size());
    for (const std::string& line : m.lines) {
        ar.WriteString(line);
        ar.WriteString("\r\n");
    }
}

void Load(Archive& ar, Model& m) {
    ar >> m.tree >> m.extra >> m.versions >> m.note >> m.numbers >> m.table >> m.choice >>
        m.point >> m.flags;
    const std::uint64_t count = ar.ReadCount();
    std::string line;
    for (std::uint64_t i = 0; i < count && ar.ReadString(line); ++i) {
        m.lines.push_back(line);
    }
}

std::vector<Model> SeedModels() {
    std::vector<Model> models(3);
    Model& full = models[1];
    auto shared = std::make_shared<Leaf>();
    shared->tag = "shared";
    shared->samples = {1, -2, 3};
    full.tree = std::make_unique<Branch>();
    full.tree->title = u"root \u00E9";
    full.tree->attributes = {{"depth", 0}, {"kind", 7}};
    full.tree->weight = 2.5;
    full.tree->leaf = shared;
    for (int i = 0; i < 3; ++i) {
        auto child = std::make_unique<Branch>();
        child->parent = full.tree.get();
        child->leaf = i == 1 ? std::make_shared<Leaf>() : shared;
        full.tree->children.push_back(std::move(child));
    }
    full.extra = shared;
    full.versions.push_back(std::make_unique<Versioned>());
    full.versions.push_back(std::make_unique<Versioned>());
    full.versions.back()->b = L"wide \U0001F600";
    full.note = L"note";
    full.numbers = {1, 0xFFFFFFFFFFFF, 3};
    full.table = {{"a", {1, 2}}, {"b", {}}};
    full.choice = std::u16string(u"choice");
    full.point = std::array<float, 3>{1.f, 2.f, 3.f};
    full.flags = {true, false, true};
    full.lines = {"first line", "", "third"};
    Model& strings = models[2];
    strings.note = std::wstring(300, L'n');
    strings.choice = std::string(260, 's');
    strings.table = {{std::string(255, 'k'), std::vector<std::int16_t>(300, 5)}};
    return models;
}

}  // namespace fuzz
