// Archive's object graph in MFC's TN002 format: tags, class descriptors,
// object references, schemas, and who owns what a load creates.
#include <xsock/Archive.h>

#include "ObjectTable.h"

#include <string>

namespace xsock {

namespace {

constexpr std::uint16_t kNullTag = 0x0000;
constexpr std::uint16_t kNewClassTag = 0xFFFF;
constexpr std::uint16_t kClassTag = 0x8000;
constexpr std::uint16_t kBigObjectTag = 0x7FFF;
constexpr std::uint32_t kBigClassTag = 0x80000000;
constexpr std::size_t kMaxClassName = 63;

using Kind = detail::ObjectTable::Kind;
using Holder = detail::ObjectTable::Holder;

// A class name from the wire, fit for a message whatever bytes it holds.
std::string Printable(std::string_view name) {
    std::string text;
    for (char ch : name) {
        text += (ch > ' ' && ch <= '~') ? ch : '?';
    }
    return text;
}

// What a table entry costs: the entry, and the registry node linking an
// object to it (with the allocator's own overhead).
constexpr std::uint64_t kEntryCost = 96;

[[noreturn, gnu::noinline]] void ThrowBadIndex(const char* what, std::uint32_t index,
                                               const char* why) {
    throw ArchiveException(ArchiveException::badIndex, what + std::to_string(index) + why);
}

[[noreturn, gnu::noinline]] void ThrowNotTheType(const RuntimeClass* cls) {
    throw ArchiveException(ArchiveException::badClass,
                           std::string(cls->Name()) + " is not the C++ type asked for");
}

Holder HolderFor(Archive::Ownership ownership) {
    switch (ownership) {
        case Archive::Ownership::unique:
            return Holder::unique;
        case Archive::Ownership::shared:
            return Holder::shared;
        case Archive::Ownership::caller:
        case Archive::Ownership::none:
            break;
    }
    return Holder::caller;
}

}  // namespace

detail::ObjectTable& Archive::Objects() {
    if (!objects_) {
        try {
            objects_ = std::make_unique<detail::ObjectTable>();
        } catch (const std::bad_alloc&) {
            ThrowOutOfMemory();
        }
    }
    return *objects_;
}

void Archive::WriteObjectIndex(std::uint32_t index) {
    if (index < kBigObjectTag) {
        PutBits(static_cast<std::uint16_t>(index));
    } else {
        PutBits(kBigObjectTag);
        PutBits(index);
    }
}

void Archive::WriteReference(const Object* object) {
    CheckStoring();
    const std::uint32_t index = object != nullptr ? Objects().StoredIndex(object) : kNullTag;
    if (object != nullptr && index == 0) {
        throw ArchiveException(ArchiveException::badIndex,
                               "an unowned pointer must refer to an object already written");
    }
    WriteObjectIndex(index);
}

void Archive::WriteObject(const Object* object) {
    CheckStoring();
    if (object == nullptr) {
        PutBits(kNullTag);
        return;
    }
    detail::ObjectTable& table = Objects();
    if (const std::uint32_t index = table.StoredIndex(object); index != 0) {
        WriteObjectIndex(index);
        return;
    }
    const RuntimeClass* cls = object->GetRuntimeClass();
    if (typeid(*object) != cls->Type()) {
        // It would load back as its base class: refuse rather than slice.
        throw ArchiveException(ArchiveException::badClass,
                               std::string(typeid(*object).name()) +
                                   " needs its own XSOCK_DECLARE_SERIAL; it would be written as " +
                                   cls->Name());
    }
    WriteClass(cls);
    table.Store(object);
    // Serialize is not const because it also loads; storing only reads members.
    const_cast<Object*>(object)->Serialize(*this);
}

void Archive::WriteClass(const RuntimeClass* cls) {
    CheckStoring();
    if (cls == nullptr || !cls->IsSerializable()) {
        throw ArchiveException(
            ArchiveException::badClass,
            std::string(cls != nullptr ? cls->Name() : "null class") + " is not serializable");
    }
    detail::ObjectTable& table = Objects();
    if (const std::uint32_t index = table.StoredIndex(cls); index != 0) {
        if (index < kBigObjectTag) {
            PutBits(static_cast<std::uint16_t>(kClassTag | index));
        } else {
            PutBits(kBigObjectTag);
            PutBits(kBigClassTag | index);
        }
        return;
    }
    const std::string_view name = cls->Name();
    if (name.empty() || name.size() > kMaxClassName) {
        throw ArchiveException(ArchiveException::badClass,
                               "class name '" + std::string(name) + "' is not 1 to 63 characters");
    }
    PutBits(kNewClassTag);
    PutBits(static_cast<std::uint16_t>(cls->Schema() & 0xFFFF));
    PutBits(static_cast<std::uint16_t>(name.size()));
    Write(name.data(), name.size());
    table.Store(cls);
}

const RuntimeClass* Archive::ReadClass(const RuntimeClass* requested, unsigned* schema,
                                       std::uint32_t* objectTag) {
    CheckLoading();
    const auto shortTag = GetBits<std::uint16_t>();
    const std::uint32_t tag = shortTag == kBigObjectTag
                                  ? GetBits<std::uint32_t>()
                                  : (static_cast<std::uint32_t>(shortTag & kClassTag) << 16) |
                                        (shortTag & ~kClassTag & 0xFFFF);
    if ((tag & kBigClassTag) == 0) {
        if (objectTag == nullptr) {
            throw ArchiveException(ArchiveException::badIndex,
                                   "expected a class, found an object reference");
        }
        *objectTag = tag;
        return nullptr;
    }
    detail::ObjectTable& table = Objects();
    const RuntimeClass* cls = nullptr;
    unsigned storedSchema = 0;
    if (shortTag == kNewClassTag) {
        storedSchema = GetBits<std::uint16_t>();
        const auto length = GetBits<std::uint16_t>();
        if (length == 0 || length > kMaxClassName) {
            throw ArchiveException(ArchiveException::badClass,
                                   "class name of " + std::to_string(length) + " characters");
        }
        char name[kMaxClassName];
        ReadExact(name, length);
        const std::string_view wireName(name, length);
        cls = RuntimeClass::FromName(wireName);
        if (cls == nullptr) {
            throw ArchiveException(
                ArchiveException::badClass,
                "no serializable class is registered as '" + Printable(wireName) + "'");
        }
        const unsigned known = cls->Schema() & ~VERSIONABLE_SCHEMA;
        if (storedSchema != known && (cls->Schema() & VERSIONABLE_SCHEMA) == 0) {
            throw ArchiveException(ArchiveException::badSchema,
                                   std::string(cls->Name()) + " schema " +
                                       std::to_string(storedSchema) + ", expected " +
                                       std::to_string(known));
        }
        if (table.LoadedCount() > limits_.maxObjects) {
            ThrowLimit("object count", table.LoadedCount());
        }
        ChargeMemory(kEntryCost);
        table.AddClass(cls, storedSchema);
    } else {
        const detail::ObjectTable::Entry entry = table.Loaded(tag & ~kBigClassTag);
        if (entry.kind != Kind::cls) {
            ThrowBadIndex("class index ", tag & ~kBigClassTag, " names no class");
        }
        cls = static_cast<const RuntimeClass*>(entry.pointer);
        storedSchema = entry.schema;
    }
    if (requested != nullptr && !cls->IsDerivedFrom(requested)) {
        throw ArchiveException(ArchiveException::badClass,
                               std::string(cls->Name()) + " is not a kind of " + requested->Name());
    }
    if (schema != nullptr) {
        *schema = storedSchema;
    } else {
        objectSchema_ = storedSchema;
    }
    if (objectTag != nullptr) {
        *objectTag = tag;
    }
    return cls;
}

void Archive::SerializeClass(const RuntimeClass* cls) {
    if (IsStoring()) {
        WriteClass(cls);
    } else {
        ReadClass(cls);
    }
}

void Archive::MapObject(const Object* object) {
    if (loading_) {
        CheckLoading();
    } else {
        CheckStoring();
    }
    if (object == nullptr) {
        return;
    }
    detail::ObjectTable& table = Objects();
    if (!loading_) {
        table.Store(object);
        return;
    }
    if (table.LoadedCount() > limits_.maxObjects) {
        ThrowLimit("object count", table.LoadedCount());
    }
    ChargeMemory(kEntryCost);
    table.AddObject(object, 0, Holder::mapped);
}

unsigned Archive::GetObjectSchema() noexcept {
    const unsigned schema = objectSchema_;
    objectSchema_ = ~0u;
    return schema;
}

Object* Archive::ReadObject(const RuntimeClass* requested) {
    return LoadObject(requested, nullptr, Ownership::caller).object;
}

Archive::LoadedObject Archive::LoadObject(const RuntimeClass* requested, TypeCheck accepts,
                                          Ownership ownership) {
    unsigned schema = 0;
    std::uint32_t tag = 0;
    const RuntimeClass* cls = ReadClass(requested, &schema, &tag);
    if (cls == nullptr) {
        return tag == 0 ? LoadedObject{} : LoadReference(tag, requested, accepts, ownership);
    }
    if (ownership == Ownership::none) {
        throw ArchiveException(ArchiveException::badIndex,
                               "an unowned pointer must refer to an object already loaded");
    }
    if (depth_ >= limits_.maxDepth) {
        ThrowLimit("object nesting depth", depth_ + std::uint64_t{1});
    }
    return LoadNew(cls, schema, accepts, ownership);
}

Archive::LoadedObject Archive::LoadReference(std::uint32_t tag, const RuntimeClass* requested,
                                             TypeCheck accepts, Ownership ownership) {
    detail::ObjectTable& table = Objects();
    // The table answers for live objects only: one its owner destroyed, one a
    // container dropped or one of a failed load reads as no object, so it is
    // refused before anything touches it.
    const detail::ObjectTable::Entry entry = table.Loaded(tag);
    if (entry.kind != Kind::object) {
        ThrowBadIndex("object index ", tag,
                      entry.kind == Kind::destroyed ? " names an object that was destroyed"
                      : entry.kind == Kind::failed  ? " names an object of a failed load"
                                                    : " names no object");
    }
    if (ownership == Ownership::unique) {
        throw ArchiveException(ArchiveException::badIndex,
                               "a unique_ptr cannot own an object already loaded");
    }
    std::shared_ptr<Object> shared;
    if (ownership == Ownership::shared) {
        shared = table.Shared(tag);
        if (!shared) {
            throw ArchiveException(ArchiveException::badIndex,
                                   "a shared_ptr cannot own an object not loaded as one");
        }
    }
    auto* object = static_cast<Object*>(const_cast<void*>(entry.pointer));
    if ((requested != nullptr && !object->IsKindOf(requested)) ||
        (accepts != nullptr && !accepts(object))) {
        throw ArchiveException(ArchiveException::badClass,
                               std::string("object index ") + std::to_string(tag) + " is a " +
                                   object->GetRuntimeClass()->Name() + ", not the class asked for");
    }
    return {object, std::move(shared)};
}

Archive::LoadedObject Archive::LoadNew(const RuntimeClass* cls, unsigned schema, TypeCheck accepts,
                                       Ownership ownership) {
    // Every frame here is on the stack once per nesting level, so the error
    // messages are built in functions of their own.
    detail::ObjectTable& table = Objects();
    if (table.LoadedCount() > limits_.maxObjects) {
        ThrowLimit("object count", table.LoadedCount());
    }
    const ValueScope scope(*this);
    ChargeMemory(cls->Size() + kEntryCost);
    std::unique_ptr<Object> created;
    LoadedObject loaded;
    std::uint32_t index = 0;
    try {
        created = cls->CreateObject();
        if (accepts != nullptr && !accepts(created.get())) {
            ThrowNotTheType(cls);
        }
        loaded.object = created.get();
        index = table.AddObject(loaded.object, schema, HolderFor(ownership));
        if (ownership == Ownership::shared) {
            loaded.shared = std::move(created);
            table.SetShared(index, loaded.shared);
        }
    } catch (...) {
        if (index != 0) {
            table.Forget(index);
        }
        scope.Failed();
    }
    const unsigned outerSchema = objectSchema_;
    objectSchema_ = schema;
    ++depth_;
    try {
        loaded.object->Serialize(*this);
    } catch (...) {
        --depth_;
        objectSchema_ = outerSchema;
        table.Forget(index);
        scope.Failed();
    }
    --depth_;
    objectSchema_ = outerSchema;
    static_cast<void>(created.release());  // the caller owns it now (MFC's rule)
    return loaded;
}

}  // namespace xsock
