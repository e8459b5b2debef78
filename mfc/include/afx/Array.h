// CArray and the array classes of afxcoll.h (CByteArray, CWordArray,
// CDWordArray, CUIntArray, CStringArray, CObArray, CPtrArray) over
// std::vector, with MFC's Serialize layout: WriteCount(size) then the
// elements through SerializeElements (CObArray: each pointer as an object,
// CByteArray/CWordArray/CDWordArray: raw little-endian values).
//
// Indices are INT_PTR as in MFC; an index out of range throws
// std::out_of_range where MFC asserts. Thread safety: one thread at a time.
#pragma once

#include "Elements.h"

#include <stdexcept>
#include <vector>

template <class TYPE, class ARG_TYPE = const TYPE&>
class CArray : public CObject {
  public:
    // MFC's names for the element types, which CTypedPtrArray casts through.
    using BASE_TYPE = TYPE;
    using BASE_ARG_TYPE = ARG_TYPE;

    CArray() = default;

    INT_PTR GetSize() const noexcept { return static_cast<INT_PTR>(data_.size()); }
    INT_PTR GetCount() const noexcept { return GetSize(); }
    INT_PTR GetUpperBound() const noexcept { return GetSize() - 1; }
    BOOL IsEmpty() const noexcept { return data_.empty(); }
    void SetSize(INT_PTR newSize, INT_PTR /*growBy*/ = -1) { data_.resize(Index(newSize, true)); }
    void RemoveAll() noexcept { data_.clear(); }
    void FreeExtra() { data_.shrink_to_fit(); }

    const TYPE& GetAt(INT_PTR i) const { return data_.at(Index(i)); }
    TYPE& GetAt(INT_PTR i) { return data_.at(Index(i)); }
    void SetAt(INT_PTR i, ARG_TYPE element) { data_.at(Index(i)) = element; }
    TYPE& ElementAt(INT_PTR i) { return data_.at(Index(i)); }
    const TYPE& operator[](INT_PTR i) const { return GetAt(i); }
    TYPE& operator[](INT_PTR i) { return GetAt(i); }
    const TYPE* GetData() const noexcept { return data_.data(); }
    TYPE* GetData() noexcept { return data_.data(); }

    void SetAtGrow(INT_PTR i, ARG_TYPE element) {
        if (Index(i, true) >= data_.size()) {
            data_.resize(Index(i, true) + 1);
        }
        data_[Index(i)] = element;
    }
    INT_PTR Add(ARG_TYPE element) {
        data_.push_back(element);
        return GetUpperBound();
    }
    INT_PTR Append(const CArray& other) {
        const INT_PTR first = GetSize();
        data_.insert(data_.end(), other.data_.begin(), other.data_.end());
        return first;
    }
    void Copy(const CArray& other) { data_ = other.data_; }
    void InsertAt(INT_PTR i, ARG_TYPE element, INT_PTR count = 1) {
        if (Index(i, true) > data_.size()) {
            data_.resize(Index(i, true));
        }
        data_.insert(data_.begin() + i, Index(count, true), element);
    }
    void RemoveAt(INT_PTR i, INT_PTR count = 1) {
        const std::size_t first = Index(i);
        if (Index(count, true) > data_.size() - first) {
            throw std::out_of_range("CArray::RemoveAt past the end");
        }
        data_.erase(data_.begin() + i, data_.begin() + i + count);
    }

    void Serialize(CArchive& ar) override {
        CObject::Serialize(ar);
        if (ar.IsStoring()) {
            ar.WriteCount(static_cast<DWORD_PTR>(data_.size()));
            SerializeElements(ar, data_.data(), GetSize());
        } else {
            xsock::mfc::LoadInSteps(data_, static_cast<std::size_t>(ar.ReadCount()),
                                    [&](TYPE* elements, std::size_t n) {
                                        SerializeElements(ar, elements, static_cast<INT_PTR>(n));
                                    });
        }
    }

  protected:
    static std::size_t Index(INT_PTR i, bool size = false) {
        if (i < 0) {
            throw std::out_of_range(size ? "CArray: negative size" : "CArray: negative index");
        }
        return static_cast<std::size_t>(i);
    }

    std::vector<TYPE> data_;
};

// The serializable arrays of afxcoll.h, registered under MFC's class names.
#define AFX_SERIAL_ARRAY(class_name, base)                                                        \
    class class_name : public base {                                                              \
        DECLARE_SERIAL(class_name)                                                                \
    };                                                                                            \
    inline CObject* class_name::CreateObject() {                                                  \
        return std::make_unique<class_name>().release();                                          \
    }                                                                                             \
    inline std::unique_ptr<::xsock::Object> class_name::CreateSerialObject() {                    \
        return std::make_unique<class_name>();                                                    \
    }                                                                                             \
    AFX_RUNTIME_CLASS_DEFINITION(inline, class_name, CObject, 0, &class_name::CreateSerialObject, \
                                 &class_name::CreateObject)

namespace xsock::mfc {
using ByteArrayBase = CArray<BYTE, BYTE>;
using WordArrayBase = CArray<WORD, WORD>;
using DWordArrayBase = CArray<DWORD, DWORD>;
using StringArrayBase = CArray<CString, LPCTSTR>;
}  // namespace xsock::mfc

AFX_SERIAL_ARRAY(CByteArray, xsock::mfc::ByteArrayBase)
AFX_SERIAL_ARRAY(CWordArray, xsock::mfc::WordArrayBase)
AFX_SERIAL_ARRAY(CDWordArray, xsock::mfc::DWordArrayBase)
AFX_SERIAL_ARRAY(CStringArray, xsock::mfc::StringArrayBase)

// Not serializable in MFC either.
class CUIntArray : public CArray<UINT, UINT> {};
class CPtrArray : public CArray<void*, void*> {};

class CObArray : public CArray<CObject*, CObject*> {
    DECLARE_SERIAL(CObArray)
  public:
    // Each element as an object: a new one, a reference, or null (TN002).
    void Serialize(CArchive& ar) override {
        if (ar.IsStoring()) {
            ar.WriteCount(static_cast<DWORD_PTR>(data_.size()));
            for (CObject* object : data_) {
                ar << object;
            }
        } else {
            xsock::mfc::LoadInSteps(data_, static_cast<std::size_t>(ar.ReadCount()),
                                    [&](CObject** elements, std::size_t n) {
                                        for (std::size_t i = 0; i < n; ++i) {
                                            ar >> elements[i];
                                        }
                                    });
        }
    }
};
inline CObject* CObArray::CreateObject() {
    return std::make_unique<CObArray>().release();
}
inline std::unique_ptr<::xsock::Object> CObArray::CreateSerialObject() {
    return std::make_unique<CObArray>();
}
AFX_RUNTIME_CLASS_DEFINITION(inline, CObArray, CObject, 0, &CObArray::CreateSerialObject,
                             &CObArray::CreateObject)
