// Object and RuntimeClass: serializable objects with run-time class information,
// MFC's CObject and CRuntimeClass.
//
// A class that an Archive can create from input derives from xsock::Object,
// overrides Serialize, and uses two macros, as with DECLARE_SERIAL and
// IMPLEMENT_SERIAL:
//
//     class Msg : public xsock::Object {
//         XSOCK_DECLARE_SERIAL(Msg)
//     public:
//         void Serialize(xsock::Archive& ar) override;
//     };
//     XSOCK_IMPLEMENT_SERIAL(Msg, xsock::Object, 1)              // wire name "Msg"
//     XSOCK_IMPLEMENT_SERIAL_NAMED(Msg, xsock::Object, 1, "CMsg") // or keep MFC's
//
// The IMPLEMENT macros go at namespace scope in one source file and, as in MFC,
// need no trailing semicolon (one is harmless).
//
// The wire name (at most 63 ASCII characters) is what an archive writes and how
// a reader finds the class again, so a port that keeps the MFC class names stays
// wire-compatible. The schema is the class's format version; OR it with
// VERSIONABLE_SCHEMA to read older schemas (Archive::GetObjectSchema tells which)
// instead of failing with badSchema. Like DECLARE_SERIAL, the macro leaves the
// class body in `public:`. XSOCK_DECLARE_DYNAMIC / XSOCK_IMPLEMENT_DYNAMIC give an
// abstract base run-time class information (for IsKindOf and as the class an
// archive is asked for) without making it creatable.
//
// Only classes registered through XSOCK_IMPLEMENT_SERIAL are ever created from
// input. Registration happens during static initialisation of the translation
// unit holding the macro; when that unit lives in a static library, make sure it
// is linked in. Two classes registered under one wire name are both refused by
// RuntimeClass::FromName rather than one being picked at random.
//
// An Object that a loading Archive created or mapped is withdrawn from that
// archive's table when it is destroyed, on whatever thread, so a later reference
// to it is refused (badIndex) instead of reaching freed memory. The bookkeeping
// costs an Object one counter and, only for objects an archive holds, a locked
// step in the destructor.
//
// Thread safety: the registry and the archives' tables are internally locked;
// RuntimeClass objects are immutable. Destroying an Object on one thread while
// a load on another is resolving a reference to that same object is a race in
// the program, as with any pointer handed between threads. Errors: lookups report failure by
// returning nullptr; Archive turns that into ArchiveException(badClass).
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>
#include <typeinfo>

#include <xsock/ArchiveExport.h>

namespace xsock {

class Archive;
class Object;

namespace detail {
class ObjectTable;
}  // namespace detail

// MFC's VERSIONABLE_SCHEMA flag, OR-ed into a schema number.
inline constexpr unsigned VERSIONABLE_SCHEMA = 0x80000000u;

class XSOCK_ARCHIVE_EXPORT RuntimeClass {
  public:
    using Factory = std::unique_ptr<Object> (*)();

    // Schema kNotSerializable (MFC's 0xFFFF) marks a class that cannot be created
    // from input; such classes have no factory and are not registered.
    static constexpr unsigned kNotSerializable = 0xFFFFu;

    // size: sizeof the class, what a load is charged for creating one.
    RuntimeClass(const char* name, unsigned schema, const RuntimeClass* base, Factory factory,
                 const std::type_info& type, std::size_t size = 0);
    ~RuntimeClass();
    RuntimeClass(const RuntimeClass&) = delete;
    RuntimeClass& operator=(const RuntimeClass&) = delete;

    const char* Name() const noexcept { return name_; }
    unsigned Schema() const noexcept { return schema_; }
    const RuntimeClass* BaseClass() const noexcept { return base_; }
    const std::type_info& Type() const noexcept { return type_; }
    std::size_t Size() const noexcept { return size_; }
    bool IsSerializable() const noexcept { return factory_ != nullptr; }

    // A new default-constructed object, or nullptr for a class that is not
    // serializable.
    std::unique_ptr<Object> CreateObject() const;
    bool IsDerivedFrom(const RuntimeClass* base) const noexcept;

    // The serializable class registered under this wire name, or nullptr.
    static const RuntimeClass* FromName(std::string_view name);

  private:
    const char* name_;
    unsigned schema_;
    const RuntimeClass* base_;
    Factory factory_;
    const std::type_info& type_;
    std::size_t size_;
};

class XSOCK_ARCHIVE_EXPORT Object {
  public:
    virtual ~Object();

    // Writes or reads this object's data; the base does nothing, as CObject's.
    virtual void Serialize(Archive& ar);
    virtual const RuntimeClass* GetRuntimeClass() const;

    bool IsKindOf(const RuntimeClass* cls) const noexcept;
    bool IsSerializable() const noexcept { return GetRuntimeClass()->IsSerializable(); }

    static const RuntimeClass kRuntimeClass;

  protected:
    Object() = default;
    // A copy is a new object that no archive has mapped.
    Object(const Object&) noexcept {}
    Object& operator=(const Object&) noexcept { return *this; }

  private:
    friend class detail::ObjectTable;
    // How many loading-archive table entries refer to this object.
    mutable std::atomic<std::uint32_t> archiveLinks_{0};
};

namespace detail {

// A wire class name: 1..63 printable ASCII characters (CRuntimeClass::Load
// refuses 64 and more).
consteval bool IsValidWireClassName(const char* name) {
    std::size_t length = 0;
    for (; name[length] != '\0'; ++length) {
        if (name[length] <= ' ' || name[length] > '~') {
            return false;
        }
    }
    return length >= 1 && length <= 63;
}

}  // namespace detail

}  // namespace xsock

// MFC's RUNTIME_CLASS(Class).
#define XSOCK_RUNTIME_CLASS(Class) (&Class::kRuntimeClass)

#define XSOCK_DECLARE_DYNAMIC(Class)                                \
  public:                                                           \
    static const ::xsock::RuntimeClass kRuntimeClass;               \
    const ::xsock::RuntimeClass* GetRuntimeClass() const override { \
        return &kRuntimeClass;                                      \
    }

#define XSOCK_DECLARE_SERIAL(Class) \
    XSOCK_DECLARE_DYNAMIC(Class)    \
    static std::unique_ptr<::xsock::Object> CreateObject();

#define XSOCK_IMPLEMENT_DYNAMIC(Class, Base)                                                  \
    const ::xsock::RuntimeClass Class::kRuntimeClass{#Class,                                  \
                                                     ::xsock::RuntimeClass::kNotSerializable, \
                                                     &Base::kRuntimeClass,                    \
                                                     nullptr,                                 \
                                                     typeid(Class),                           \
                                                     sizeof(Class)};

#define XSOCK_IMPLEMENT_SERIAL_NAMED(Class, Base, schema, wireName)                             \
    static_assert(::xsock::detail::IsValidWireClassName(wireName),                              \
                  "a wire class name is 1 to 63 printable ASCII characters");                   \
    static_assert((((schema) & ~::xsock::VERSIONABLE_SCHEMA) < 0xFFFFu),                        \
                  "a schema is a 16-bit number below 0xFFFF, optionally | VERSIONABLE_SCHEMA"); \
    std::unique_ptr<::xsock::Object> Class::CreateObject() {                                    \
        return std::unique_ptr<::xsock::Object>(new (Class));                                   \
    }                                                                                           \
    const ::xsock::RuntimeClass Class::kRuntimeClass{                                           \
        wireName,      (schema),     &Base::kRuntimeClass, &Class::CreateObject,                \
        typeid(Class), sizeof(Class)};

#define XSOCK_IMPLEMENT_SERIAL(Class, Base, schema) \
    XSOCK_IMPLEMENT_SERIAL_NAMED(Class, Base, schema, #Class)
