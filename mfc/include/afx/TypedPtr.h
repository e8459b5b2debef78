// CTypedPtrList, CTypedPtrArray and CTypedPtrMap: MFC's type-safe wrappers
// over the pointer collections (CObList, CPtrList, CObArray, CPtrArray and
// the CMap*ToOb / CMap*ToPtr maps), with MFC's template parameters
// <BASE_CLASS, TYPE> and, for maps, <BASE_CLASS, KEY, VALUE>.
//
// As in MFC they add no data and no Serialize of their own: a typed list over
// CObList stores and loads exactly as a CObList (each pointer as an object,
// TN002), a typed map over CMapStringToOb as that map, and a typed collection
// stored through a pointer carries its base's class name ("CObList"), so an
// MFC peer reads it as it reads its own. Collections over CPtrList, CPtrArray
// and the *ToPtr maps are not serializable, in MFC either.
//
// Elements are converted with static_cast where MFC uses a C cast to TYPE, so
// TYPE must be a pointer to a class derived from the base's element (CObject
// for the Ob collections, anything for the Ptr ones). The members that return
// a reference into the collection (ElementAt, GetNext, operator[], ...) refer
// to the base's pointer slot as a TYPE slot, as MFC's do; that is only sound
// when TYPE's CObject base sits at offset zero, which holds for single
// inheritance from CObject as in MFC. Thread safety and errors: those of the
// base collection.
#pragma once

#include "Array.h"
#include "List.h"
#include "Map.h"

namespace xsock::mfc {

// A base collection's slot seen as a slot of TYPE, as MFC's (TYPE&) casts do.
template <class TYPE, class Slot>
TYPE& SlotAs(Slot& slot) noexcept {
    static_assert(sizeof(TYPE) == sizeof(Slot), "a typed slot is a pointer slot");
    return reinterpret_cast<TYPE&>(slot);
}

}  // namespace xsock::mfc

template <class BASE_CLASS, class TYPE>
class CTypedPtrList : public BASE_CLASS {
    using Base = BASE_CLASS;

  public:
    TYPE& GetHead() { return xsock::mfc::SlotAs<TYPE>(Base::GetHead()); }
    TYPE GetHead() const { return static_cast<TYPE>(Base::GetHead()); }
    TYPE& GetTail() { return xsock::mfc::SlotAs<TYPE>(Base::GetTail()); }
    TYPE GetTail() const { return static_cast<TYPE>(Base::GetTail()); }
    TYPE RemoveHead() { return static_cast<TYPE>(Base::RemoveHead()); }
    TYPE RemoveTail() { return static_cast<TYPE>(Base::RemoveTail()); }
    TYPE& GetNext(POSITION& position) { return xsock::mfc::SlotAs<TYPE>(Base::GetNext(position)); }
    TYPE GetNext(POSITION& position) const { return static_cast<TYPE>(Base::GetNext(position)); }
    TYPE& GetPrev(POSITION& position) { return xsock::mfc::SlotAs<TYPE>(Base::GetPrev(position)); }
    TYPE GetPrev(POSITION& position) const { return static_cast<TYPE>(Base::GetPrev(position)); }
    TYPE& GetAt(POSITION position) { return xsock::mfc::SlotAs<TYPE>(Base::GetAt(position)); }
    TYPE GetAt(POSITION position) const { return static_cast<TYPE>(Base::GetAt(position)); }
    void SetAt(POSITION position, TYPE element) { Base::SetAt(position, element); }

    POSITION AddHead(TYPE element) { return Base::AddHead(element); }
    POSITION AddTail(TYPE element) { return Base::AddTail(element); }
    // Another list's elements, in their order, in front of or after this one's.
    void AddHead(CTypedPtrList* other) {
        for (POSITION at = other->GetTailPosition(); at != nullptr;) {
            Base::AddHead(other->GetPrev(at));
        }
    }
    void AddTail(CTypedPtrList* other) {
        for (POSITION at = other->GetHeadPosition(); at != nullptr;) {
            Base::AddTail(other->GetNext(at));
        }
    }
    POSITION InsertBefore(POSITION position, TYPE element) {
        return Base::InsertBefore(position, element);
    }
    POSITION InsertAfter(POSITION position, TYPE element) {
        return Base::InsertAfter(position, element);
    }
    POSITION Find(TYPE value, POSITION startAfter = nullptr) const {
        return Base::Find(value, startAfter);
    }
};

template <class BASE_CLASS, class TYPE>
class CTypedPtrArray : public BASE_CLASS {
    using Base = BASE_CLASS;

  public:
    TYPE GetAt(INT_PTR i) const { return static_cast<TYPE>(Base::GetAt(i)); }
    TYPE& ElementAt(INT_PTR i) { return xsock::mfc::SlotAs<TYPE>(Base::ElementAt(i)); }
    void SetAt(INT_PTR i, TYPE element) { Base::SetAt(i, element); }
    void SetAtGrow(INT_PTR i, TYPE element) { Base::SetAtGrow(i, element); }
    INT_PTR Add(TYPE element) { return Base::Add(element); }
    INT_PTR Append(const CTypedPtrArray& other) { return Base::Append(other); }
    void Copy(const CTypedPtrArray& other) { Base::Copy(other); }
    void InsertAt(INT_PTR i, TYPE element, INT_PTR count = 1) { Base::InsertAt(i, element, count); }
    // Another array's elements, in their order, from index `first` on.
    void InsertAt(INT_PTR first, CTypedPtrArray* other) {
        for (INT_PTR i = 0; i < other->GetSize(); ++i) {
            Base::InsertAt(first + i, other->GetAt(i));
        }
    }
    TYPE operator[](INT_PTR i) const { return GetAt(i); }
    TYPE& operator[](INT_PTR i) { return ElementAt(i); }
};

template <class BASE_CLASS, class KEY, class VALUE>
class CTypedPtrMap : public BASE_CLASS {
    using Base = BASE_CLASS;
    using BaseKey = typename Base::BASE_KEY;
    using BaseValue = typename Base::BASE_VALUE;

  public:
    BOOL Lookup(typename Base::BASE_ARG_KEY key, VALUE& value) const {
        BaseValue found{};
        if (!Base::Lookup(key, found)) {
            return FALSE;
        }
        value = static_cast<VALUE>(found);
        return TRUE;
    }
    VALUE& operator[](typename Base::BASE_ARG_KEY key) {
        return xsock::mfc::SlotAs<VALUE>(Base::operator[](key));
    }
    void SetAt(KEY key, VALUE value) { Base::SetAt(key, value); }
    BOOL RemoveKey(KEY key) { return Base::RemoveKey(key); }
    void GetNextAssoc(POSITION& position, KEY& key, VALUE& value) const {
        BaseKey baseKey{};
        BaseValue baseValue{};
        Base::GetNextAssoc(position, baseKey, baseValue);
        key = static_cast<KEY>(baseKey);
        value = static_cast<VALUE>(baseValue);
    }
};
