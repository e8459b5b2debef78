// CObject and CRuntimeClass: MFC's run-time class information, mapped onto
// xsock::Object and xsock::RuntimeClass.
//
// CObject derives from xsock::Object, so an archive of the core stores and
// loads CObject-derived classes with MFC's TN002 bytes. DECLARE_/IMPLEMENT_
// DYNAMIC, _DYNCREATE and _SERIAL keep MFC's names and arguments; the class
// name the IMPLEMENT macro is given is the wire name, so a port that keeps its
// class names stays wire-compatible. Only IMPLEMENT_SERIAL classes are ever
// created from archive input; DYNCREATE classes are created by
// CRuntimeClass::CreateObject only, as MFC's archives also refuse them.
// Serialize takes a CArchive& (afx/Archive.h); a CObject serialized by a plain
// xsock::Archive that is no CArchive gets std::logic_error.
//
// Differences: RUNTIME_CLASS gives a const CRuntimeClass*, GetRuntimeClass
// returns one; DYNAMIC_DOWNCAST is a dynamic_cast (correct with the socket
// classes' two bases). Thread safety: run-time classes are immutable.
#pragma once

#include "DumpContext.h"
#include "Win32.h"

#include <xsock/Object.h>

#include <memory>
#include <typeinfo>

class CArchive;
class CObject;

// MFC's CRuntimeClass: the core's class record plus MFC's public fields and
// a CreateObject that returns a CObject* the caller owns.
struct CRuntimeClass : public xsock::RuntimeClass {
    using CreateFunction = CObject* (*)();

    CRuntimeClass(const char* name, UINT schema, const xsock::RuntimeClass* base,
                  xsock::RuntimeClass::Factory serialFactory, CreateFunction create,
                  const std::type_info& type)
        : xsock::RuntimeClass(name, schema, base, serialFactory, type),
          m_lpszClassName(name),
          m_wSchema(schema),
          m_pfnCreateObject(create) {}

    CObject* CreateObject() const {
        return m_pfnCreateObject != nullptr ? m_pfnCreateObject() : nullptr;
    }
    BOOL IsDerivedFrom(const xsock::RuntimeClass* base) const noexcept {
        return xsock::RuntimeClass::IsDerivedFrom(base);
    }

    const char* m_lpszClassName;
    UINT m_wSchema;
    CreateFunction m_pfnCreateObject;
};

class CObject : public xsock::Object {
  public:
    static const CRuntimeClass kRuntimeClass;
    const CRuntimeClass* GetRuntimeClass() const override { return &kRuntimeClass; }

    // MFC's Serialize; the base does nothing.
    virtual void Serialize(CArchive& ar);
    // The core's entry point: hands the CArchive on to Serialize(CArchive&).
    void Serialize(xsock::Archive& ar) final;

    BOOL IsKindOf(const xsock::RuntimeClass* cls) const noexcept {
        return xsock::Object::IsKindOf(cls);
    }
    BOOL IsSerializable() const noexcept { return xsock::Object::IsSerializable(); }
    virtual void AssertValid() const {}
    // MFC's diagnostic dump: the class name and address, as MFC's default.
    virtual void Dump(CDumpContext& dc) const {
        dc << "a " << GetRuntimeClass()->m_lpszClassName << " at " << static_cast<const void*>(this)
           << "\n";
    }

  protected:
    CObject() = default;
    CObject(const CObject&) = default;
    CObject& operator=(const CObject&) = default;
};

inline const CRuntimeClass CObject::kRuntimeClass{"CObject", 0xFFFF,  &xsock::Object::kRuntimeClass,
                                                  nullptr,   nullptr, typeid(CObject)};

inline void CObject::Serialize(CArchive&) {}

#define RUNTIME_CLASS(class_name) (&class_name::kRuntimeClass)

#define DECLARE_DYNAMIC(class_name)                         \
  public:                                                   \
    static const CRuntimeClass kRuntimeClass;               \
    const CRuntimeClass* GetRuntimeClass() const override { \
        return &kRuntimeClass;                              \
    }

#define DECLARE_DYNCREATE(class_name) \
    DECLARE_DYNAMIC(class_name)       \
    static CObject* CreateObject();

#define DECLARE_SERIAL(class_name) \
    DECLARE_DYNCREATE(class_name)  \
    static std::unique_ptr<::xsock::Object> CreateSerialObject();

#define AFX_RUNTIME_CLASS_DEFINITION(specifier, class_name, base_name, schema, serial, create) \
    specifier const CRuntimeClass class_name::kRuntimeClass{                                   \
        #class_name, (schema), &base_name::kRuntimeClass, serial, create, typeid(class_name)};

#define IMPLEMENT_DYNAMIC(class_name, base_name) \
    AFX_RUNTIME_CLASS_DEFINITION(, class_name, base_name, 0xFFFF, nullptr, nullptr)

// `new`, not make_unique: MFC's DYNCREATE classes often have a protected
// default constructor ("create from serialization only"), which only the
// class's own static member can call.
#define IMPLEMENT_DYNCREATE(class_name, base_name)                         \
    CObject* class_name::CreateObject() {                                  \
        return new class_name;                                             \
    }                                                                      \
    AFX_RUNTIME_CLASS_DEFINITION(, class_name, base_name, 0xFFFF, nullptr, \
                                 &class_name::CreateObject)

#define IMPLEMENT_SERIAL(class_name, base_name, wSchema)                                        \
    static_assert((((wSchema) & ~::xsock::VERSIONABLE_SCHEMA) < 0xFFFFu),                       \
                  "a schema is a 16-bit number below 0xFFFF, optionally | VERSIONABLE_SCHEMA"); \
    static_assert(sizeof(#class_name) <= 64, "MFC's class names have at most 63 characters");   \
    CObject* class_name::CreateObject() {                                                       \
        return new class_name;                                                                  \
    }                                                                                           \
    std::unique_ptr<::xsock::Object> class_name::CreateSerialObject() {                         \
        return std::unique_ptr<::xsock::Object>(new class_name);                                \
    }                                                                                           \
    AFX_RUNTIME_CLASS_DEFINITION(, class_name, base_name, wSchema,                              \
                                 &class_name::CreateSerialObject, &class_name::CreateObject)

// The layer's own classes are header-only: their class records are inline.
#define AFX_IMPLEMENT_DYNAMIC_INLINE(class_name, base_name) \
    AFX_RUNTIME_CLASS_DEFINITION(inline, class_name, base_name, 0xFFFF, nullptr, nullptr)

#define DYNAMIC_DOWNCAST(class_name, object) (dynamic_cast<class_name*>(object))
#define STATIC_DOWNCAST(class_name, object) (static_cast<class_name*>(object))
#define ASSERT_KINDOF(class_name, object) ASSERT((object)->IsKindOf(RUNTIME_CLASS(class_name)))

using xsock::VERSIONABLE_SCHEMA;
