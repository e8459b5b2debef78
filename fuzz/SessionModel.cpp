#include "SessionModel.h"

#include <unordered_set>

namespace session {

using xsock::Archive;

namespace {

std::unordered_set<Item*>& LiveItems() {
    static std::unordered_set<Item*> items;
    return items;
}

}  // namespace

XSOCK_IMPLEMENT_SERIAL(Item, xsock::Object, 1)
XSOCK_IMPLEMENT_SERIAL(Holder, xsock::Object, 1)

Item::Item() {
    LiveItems().insert(this);
}

Item::~Item() {
    LiveItems().erase(this);
}

void Item::Serialize(Archive& ar) {
    ar.Exchange(id, label, xsock::Unowned(peer));
}

void Holder::Serialize(Archive& ar) {
    ar.Exchange(byName, tags, maybe, choice, children, shared, xsock::Unowned(reference));
}

void Store(Archive& ar, const Message& m) {
    ar << m.root << m.index << m.items << m.optional << m.variant << m.raw
       << xsock::Unowned(const_cast<Item*&>(m.unowned));
}

void Load(Archive& ar, Message& m) {
    ar >> m.root >> m.index >> m.items >> m.optional >> m.variant >> m.raw >>
        xsock::Unowned(m.unowned);
}

std::size_t DeleteLeftoverItems() {
    const std::size_t leftover = LiveItems().size();
    while (!LiveItems().empty()) {
        const std::unique_ptr<Item> owned(*LiveItems().begin());  // its destructor unlists it
    }
    return leftover;
}

std::vector<std::vector<std::pair<std::uint8_t, Message>>> SeedSessions() {
    // Objects the sender keeps across messages, so later messages refer back.
    static Item kept;
    kept.id = 1;
    kept.label = "kept";
    static auto sharedItem = std::make_shared<Item>();
    sharedItem->id = 2;
    static Item raw;
    raw.id = 3;
    raw.peer = &kept;  // written after kept

    auto first = [] {
        Message m;
        m.root = std::make_unique<Holder>();
        m.root->byName["a"] = std::make_unique<Item>();
        m.root->byName["b"] = std::make_unique<Item>();
        m.root->tags = {1, 2, 3};
        m.root->maybe = sharedItem;
        m.root->choice = std::string("choice");
        m.root->children.push_back(std::make_unique<Holder>());
        m.root->children.back()->choice = std::make_unique<Item>();
        m.root->shared = {sharedItem, sharedItem};
        m.root->reference = m.root->byName["a"].get();
        m.index[7] = std::make_unique<Item>();
        m.items = {sharedItem};
        m.optional = std::make_unique<Item>();
        m.variant = std::make_shared<Holder>();
        m.raw = &kept;
        m.unowned = &kept;
        return m;
    };
    // Only references and new objects beside them: the receiver's answer
    // depends on what it kept of message 1.
    auto second = [] {
        Message m;
        m.items = {sharedItem};
        m.raw = &raw;
        m.unowned = &kept;
        return m;
    };
    std::vector<std::vector<std::pair<std::uint8_t, Message>>> sessions;
    for (std::uint8_t control : {0, 1, 2, 4, 7}) {
        std::vector<std::pair<std::uint8_t, Message>> session;
        session.emplace_back(0, first());
        session.emplace_back(control, second());
        session.emplace_back(control, second());
        sessions.push_back(std::move(session));
    }
    return sessions;
}

}  // namespace session
