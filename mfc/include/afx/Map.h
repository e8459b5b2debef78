// CMap and the map classes of afxcoll.h, with MFC's hash functions and bucket
// layout, so that GetStartPosition/GetNextAssoc and Serialize visit the pairs
// in the order MFC does: bucket by bucket (the key's hash modulo
// GetHashTableSize(), 17 unless InitHashTable says otherwise), and within a
// bucket the newest pair first. Serialize writes WriteCount(count) then each
// key and its value through SerializeElements (CMapStringToOb: each value as
// an object); loading adds each pair with SetAt as it arrives, so a hostile
// count costs memory only as its data actually arrives.
//
// Hashes, as MFC computes them: CMap's HashKey for numbers and pointers takes
// the key as a 32-bit long through Park and Miller's minimal standard
// generator; for strings (LPCSTR, LPCWSTR, CString) it is hash * 33 + each
// character, the narrow characters signed as MSVC's char. The word and
// pointer maps of afxcoll.h use the key (as a 32-bit value) shifted right by
// four, and the string maps the string hash. A port that specializes HashKey
// for its own key type does so exactly as under MFC.
//
// As in MFC, a key is found by walking its bucket, so a table far smaller than
// the map (many pairs loaded from an archive) makes each lookup and each
// loaded pair cost time in proportion; InitHashTable with about 1.2 times the
// expected count before loading keeps that short, as MFC advises.
//
// Thread safety: one thread at a time.
#pragma once

#include "List.h"

#include <cstdint>
#include <memory>
#include <type_traits>
#include <vector>

template <class ARG_KEY>
inline UINT HashKey(ARG_KEY key) {
    using Key = std::remove_cv_t<std::remove_reference_t<ARG_KEY>>;
    std::int32_t value;
    if constexpr (std::is_pointer_v<Key>) {
        value = static_cast<std::int32_t>(reinterpret_cast<std::uintptr_t>(key));
    } else {
        value = static_cast<std::int32_t>(static_cast<long long>(key));
    }
    std::int32_t quotient = value / 127773;
    std::int32_t remainder = value % 127773;
    remainder = 16807 * remainder - 2836 * quotient;
    if (remainder < 0) {
        remainder += 2147483647;
    }
    return static_cast<UINT>(remainder);
}

namespace xsock::mfc {

template <class C>
UINT HashString(const C* text) {
    UINT hash = 0;
    for (; text != nullptr && *text != 0; ++text) {
        if constexpr (sizeof(C) == 1) {
            hash = (hash << 5) + hash + static_cast<UINT>(static_cast<signed char>(*text));
        } else {
            hash = (hash << 5) + hash + static_cast<UINT>(static_cast<std::uint16_t>(*text));
        }
    }
    return hash;
}

struct StringHash {
    template <class Key>
    UINT operator()(const Key& key) const {
        if constexpr (std::is_pointer_v<Key>) {
            return HashString(key);
        } else {
            return HashString(static_cast<const typename Key::XCHAR*>(key));
        }
    }
};

struct ShiftHash {
    template <class Key>
    UINT operator()(Key key) const {
        if constexpr (std::is_pointer_v<Key>) {
            return static_cast<UINT>(reinterpret_cast<std::uintptr_t>(key)) >> 4;
        } else {
            return static_cast<UINT>(key) >> 4;
        }
    }
};

template <class ARG_KEY>
struct TemplateHash {
    UINT operator()(ARG_KEY key) const { return HashKey<ARG_KEY>(key); }
};
template <>
struct TemplateHash<LPCSTR> : StringHash {};
template <>
struct TemplateHash<LPCWSTR> : StringHash {};
template <class C>
struct TemplateHash<const CStringT<C>&> : StringHash {};
template <class C>
struct TemplateHash<CStringT<C>> : StringHash {};

// The hash table behind every map class; `Hash` is the class's hash function.
template <class KEY, class ARG_KEY, class VALUE, class ARG_VALUE, class Hash>
class HashMap : public CObject {
    struct Assoc {
        std::unique_ptr<Assoc> next;
        UINT hash = 0;
        KEY key{};
        VALUE value{};
    };

  public:
    // MFC's names for the key and value types, which CTypedPtrMap casts through.
    using BASE_KEY = KEY;
    using BASE_ARG_KEY = ARG_KEY;
    using BASE_VALUE = VALUE;
    using BASE_ARG_VALUE = ARG_VALUE;

    HashMap() = default;
    explicit HashMap(INT_PTR /*blockSize*/) {}
    ~HashMap() override { RemoveAll(); }
    HashMap(const HashMap&) = delete;
    HashMap& operator=(const HashMap&) = delete;

    INT_PTR GetCount() const noexcept { return count_; }
    INT_PTR GetSize() const noexcept { return count_; }
    BOOL IsEmpty() const noexcept { return count_ == 0; }
    UINT GetHashTableSize() const noexcept { return tableSize_; }

    // Takes effect while the map is empty, as in MFC.
    void InitHashTable(UINT size, BOOL /*allocNow*/ = TRUE) {
        if (count_ == 0 && size > 0) {
            table_.clear();
            tableSize_ = size;
        }
    }

    BOOL Lookup(ARG_KEY key, VALUE& value) const {
        const Assoc* assoc = Find(key);
        if (assoc == nullptr) {
            return FALSE;
        }
        value = assoc->value;
        return TRUE;
    }
    VALUE& operator[](ARG_KEY key) {
        if (Assoc* assoc = Find(key)) {
            return assoc->value;
        }
        if (table_.empty()) {
            table_.resize(tableSize_);
        }
        auto assoc = std::make_unique<Assoc>();
        assoc->hash = Hash{}(key);
        assoc->key = key;
        std::unique_ptr<Assoc>& head = table_[assoc->hash % tableSize_];
        assoc->next = std::move(head);
        head = std::move(assoc);
        ++count_;
        return head->value;
    }
    void SetAt(ARG_KEY key, ARG_VALUE value) { (*this)[key] = value; }
    BOOL RemoveKey(ARG_KEY key) {
        if (table_.empty()) {
            return FALSE;
        }
        std::unique_ptr<Assoc>* link = &table_[Hash{}(key) % tableSize_];
        for (; *link != nullptr; link = &(*link)->next) {
            if ((*link)->key == key) {
                *link = std::move((*link)->next);
                --count_;
                return TRUE;
            }
        }
        return FALSE;
    }
    void RemoveAll() noexcept {
        // Iteratively: a recursive unique_ptr chain would use stack per node.
        for (std::unique_ptr<Assoc>& head : table_) {
            while (head != nullptr) {
                head = std::move(head->next);
            }
        }
        table_.clear();
        count_ = 0;
    }

    POSITION GetStartPosition() const noexcept { return count_ == 0 ? nullptr : Pos(First(0)); }
    void GetNextAssoc(POSITION& position, KEY& key, VALUE& value) const {
        const Assoc* assoc = reinterpret_cast<const Assoc*>(position);
        key = assoc->key;
        value = assoc->value;
        position =
            Pos(assoc->next != nullptr ? assoc->next.get() : First(assoc->hash % tableSize_ + 1));
    }

    void Serialize(CArchive& ar) override {
        CObject::Serialize(ar);
        if (ar.IsStoring()) {
            ar.WriteCount(static_cast<DWORD_PTR>(count_));
            for (POSITION at = GetStartPosition(); at != nullptr;) {
                Assoc* assoc = reinterpret_cast<Assoc*>(at);
                SerializeElements(ar, &assoc->key, 1);
                SerializeValue(ar, assoc->value);
                at = Pos(assoc->next != nullptr ? assoc->next.get()
                                                : First(assoc->hash % tableSize_ + 1));
            }
        } else {
            for (DWORD_PTR left = ar.ReadCount(); left > 0; --left) {
                KEY key{};
                VALUE value{};
                SerializeElements(ar, &key, 1);
                SerializeValue(ar, value);
                SetAt(key, value);
            }
        }
    }

  protected:
    virtual void SerializeValue(CArchive& ar, VALUE& value) { SerializeElements(ar, &value, 1); }

  private:
    static POSITION Pos(const Assoc* assoc) noexcept {
        return reinterpret_cast<POSITION>(const_cast<Assoc*>(assoc));
    }
    const Assoc* First(std::size_t bucket) const noexcept {
        for (; bucket < table_.size(); ++bucket) {
            if (table_[bucket] != nullptr) {
                return table_[bucket].get();
            }
        }
        return nullptr;
    }
    Assoc* Find(ARG_KEY key) const {
        if (table_.empty()) {
            return nullptr;
        }
        for (Assoc* assoc = table_[Hash{}(key) % tableSize_].get(); assoc != nullptr;
             assoc = assoc->next.get()) {
            if (assoc->key == key) {
                return assoc;
            }
        }
        return nullptr;
    }

    std::vector<std::unique_ptr<Assoc>> table_;
    UINT tableSize_ = 17;
    INT_PTR count_ = 0;
};

}  // namespace xsock::mfc

template <class KEY, class ARG_KEY, class VALUE, class ARG_VALUE>
class CMap : public xsock::mfc::HashMap<KEY, ARG_KEY, VALUE, ARG_VALUE,
                                        xsock::mfc::TemplateHash<ARG_KEY>> {};

// The map classes of afxcoll.h, with MFC's own hash functions and names.
#define AFX_SERIAL_MAP(class_name, base) \
    class class_name : public base {     \
        DECLARE_SERIAL(class_name)       \
    };                                   \
    AFX_SERIAL_INLINE(class_name)

namespace xsock::mfc {
using MapStringToStringBase = HashMap<CString, LPCTSTR, CString, LPCTSTR, StringHash>;
using MapWordToPtrBase = HashMap<WORD, WORD, void*, void*, ShiftHash>;
using MapPtrToWordBase = HashMap<void*, void*, WORD, WORD, ShiftHash>;
using MapPtrToPtrBase = HashMap<void*, void*, void*, void*, ShiftHash>;
using MapStringToPtrBase = HashMap<CString, LPCTSTR, void*, void*, StringHash>;

// The maps whose values are objects: each value goes out as an object (TN002).
template <class KEY, class ARG_KEY, class Hash>
class ObjectMap : public HashMap<KEY, ARG_KEY, CObject*, CObject*, Hash> {
  protected:
    void SerializeValue(CArchive& ar, CObject*& value) override {
        if (ar.IsStoring()) {
            ar << value;
        } else {
            ar >> value;
        }
    }
};
using MapStringToObBase = ObjectMap<CString, LPCTSTR, StringHash>;
using MapWordToObBase = ObjectMap<WORD, WORD, ShiftHash>;
}  // namespace xsock::mfc

AFX_SERIAL_MAP(CMapStringToString, xsock::mfc::MapStringToStringBase)
AFX_SERIAL_MAP(CMapStringToOb, xsock::mfc::MapStringToObBase)
AFX_SERIAL_MAP(CMapWordToOb, xsock::mfc::MapWordToObBase)

// Not serializable in MFC either.
class CMapStringToPtr : public xsock::mfc::MapStringToPtrBase {};
class CMapWordToPtr : public xsock::mfc::MapWordToPtrBase {};
class CMapPtrToWord : public xsock::mfc::MapPtrToWordBase {};
class CMapPtrToPtr : public xsock::mfc::MapPtrToPtrBase {};
