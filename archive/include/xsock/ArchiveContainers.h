// Archive operators for the standard containers and vocabulary types.
//
// MFC has no such operators, so this layout is xsock's own, built from MFC's
// pieces: a container is WriteCount(size) followed by its elements (a map's as
// key, value pairs); std::array has no count (its size is part of its type);
// std::optional is a bool then the value if present; pair and tuple are their
// members in order; std::variant is WriteCount(index) then the alternative.
// Arrays of fixed-width scalars, and of structs opted in with kStoredAsBytes,
// move in one copy. Loading replaces the container's contents: a vector, deque
// or list loads into the elements it already has (so their memory is reused,
// and an element's operator>> must set every member, as for any object loaded
// in place), other containers are cleared and rebuilt. Counts go through
// ReadCount and its limit, and nothing is reserved ahead of the bytes that
// justify it. Every element made is charged to the archive's memory budget
// (Archive::ChargeMemory) at its size, plus the links of a node. A key that
// comes twice in a map or set replaces the earlier element, as CMap::SetAt
// does (the multi- containers keep both); objects the replaced element owned
// are destroyed, so later references to them are badIndex.
//
// Included by Archive.h; see it for thread rules and errors.
#pragma once

#include <xsock/Archive.h>

#include <algorithm>
#include <array>
#include <bit>
#include <cstddef>
#include <deque>
#include <forward_list>
#include <iterator>
#include <list>
#include <map>
#include <optional>
#include <set>
#include <tuple>
#include <type_traits>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <variant>
#include <vector>

namespace xsock {

namespace detail {

// Element-by-element loads reserve up to this many elements freely; beyond it,
// only as many as the bytes already available could hold, so a hostile count
// costs no more memory than the input that carries it.
inline constexpr std::uint64_t kReserveLimit = 1024;

// What one element of a node-based container costs beyond its value: the
// node's links and the allocator's own bookkeeping.
inline constexpr std::uint64_t kNodeOverhead = 48;

template <class C>
inline constexpr std::uint64_t kElementCost = sizeof(typename C::value_type) + kNodeOverhead;
template <class T, class A>
inline constexpr std::uint64_t kElementCost<std::deque<T, A>> = sizeof(T);

template <class T>
std::size_t ReserveFor(Archive& ar, std::uint64_t count) {
    if (count <= kReserveLimit) {
        return static_cast<std::size_t>(count);
    }
    return static_cast<std::size_t>(
        std::min(count, std::max(kReserveLimit, ar.AvailableBytes() / sizeof(T))));
}

// The standard containers each operator template below accepts.
template <class T>
inline constexpr bool kIsListLike = false;
template <class T, class A>
inline constexpr bool kIsListLike<std::deque<T, A>> = true;
template <class T, class A>
inline constexpr bool kIsListLike<std::list<T, A>> = true;

template <class T>
inline constexpr bool kIsMap = false;
template <class K, class V, class C, class A>
inline constexpr bool kIsMap<std::map<K, V, C, A>> = true;
template <class K, class V, class C, class A>
inline constexpr bool kIsMap<std::multimap<K, V, C, A>> = true;
template <class K, class V, class H, class E, class A>
inline constexpr bool kIsMap<std::unordered_map<K, V, H, E, A>> = true;
template <class K, class V, class H, class E, class A>
inline constexpr bool kIsMap<std::unordered_multimap<K, V, H, E, A>> = true;

template <class T>
inline constexpr bool kIsSet = false;
template <class K, class C, class A>
inline constexpr bool kIsSet<std::set<K, C, A>> = true;
template <class K, class C, class A>
inline constexpr bool kIsSet<std::multiset<K, C, A>> = true;
template <class K, class H, class E, class A>
inline constexpr bool kIsSet<std::unordered_set<K, H, E, A>> = true;
template <class K, class H, class E, class A>
inline constexpr bool kIsSet<std::unordered_multiset<K, H, E, A>> = true;

// Containers that keep equal keys side by side.
template <class T>
inline constexpr bool kIsMultiContainer = false;
template <class K, class C, class A>
inline constexpr bool kIsMultiContainer<std::multiset<K, C, A>> = true;
template <class K, class H, class E, class A>
inline constexpr bool kIsMultiContainer<std::unordered_multiset<K, H, E, A>> = true;

template <class C>
concept ListLike = kIsListLike<C>;
template <class C>
concept MapLike = kIsMap<C>;
template <class C>
concept SetLike = kIsSet<C>;
// Stored as WriteCount(size) and the elements in iteration order.
template <class C>
concept StoredAsRange = ListLike<C> || SetLike<C>;

// Hash containers: buckets for what the bytes already available justify.
template <class C>
void ReserveIfPossible(Archive& ar, C& c, std::uint64_t count) {
    if constexpr (requires { c.reserve(std::size_t{}); }) {
        const std::size_t buckets = ReserveFor<typename C::value_type>(ar, count);
        ar.ChargeMemory(std::uint64_t{buckets} * sizeof(void*));
        c.reserve(buckets);
    }
}

// Makes room in a vector for the next element: the first step takes what the
// bytes available justify, later ones grow geometrically, by less than double
// when the budget is nearly spent. The new buffer is charged while the old one
// still exists; `charged` is what this load has charged for the old one, given
// back once it is freed.
template <class V>
void Grow(Archive& ar, V& v, std::uint64_t count, std::uint64_t& charged) {
    using T = typename V::value_type;
    const std::uint64_t size = v.size();
    const std::uint64_t doubled = size == 0 ? ReserveFor<T>(ar, count) : size * 2;
    const std::uint64_t afforded = (ar.MemoryHeadroom() + charged) / sizeof(T);
    const std::uint64_t want =
        std::min(std::clamp(afforded, size + size / 4 + 1, doubled), std::max(count, size + 1));
    ar.ChargeMemory(want * sizeof(T));
    v.reserve(static_cast<std::size_t>(want));
    ar.ReleaseMemory(charged);
    charged = want * sizeof(T);
}

template <class C>
void StoreRange(Archive& ar, const C& c, std::uint64_t count) {
    ar.WriteCount(count);
    for (const auto& element : c) {
        ar << element;
    }
}

// Elements already in the container are loaded in place, as CArray's SetSize
// and SerializeElements do, so their strings and vectors keep their memory;
// surplus ones are dropped and missing ones appended.
template <class C>
void LoadBackInserted(Archive& ar, C& c, std::uint64_t count) {
    // A scope rather than LoadValue's lambda: objects nest through here, and
    // each frame counts against the stack a nesting level needs.
    const Archive::ValueScope scope(ar);
    try {
        std::uint64_t loaded = 0;
        auto element = c.begin();
        for (; loaded < count && element != c.end(); ++loaded, ++element) {
            ar >> *element;
        }
        while (c.size() > loaded) {
            c.pop_back();  // asks nothing of the element type, unlike erase
        }
        std::uint64_t charged = 0;
        for (; loaded < count; ++loaded) {
            if constexpr (requires { c.capacity(); }) {
                if (c.size() == c.capacity()) {
                    Grow(ar, c, count, charged);
                }
            } else {
                ar.ChargeMemory(kElementCost<C>);
            }
            ar >> c.emplace_back();
        }
    } catch (...) {
        scope.Failed();
    }
}

template <class C>
void LoadBackInserted(Archive& ar, C& c) {
    LoadBackInserted(ar, c, ar.ReadCount());
}

template <class V, std::size_t... I>
void LoadAlternative(Archive& ar, V& v, std::uint64_t index, std::index_sequence<I...>) {
    ((index == I ? (void)(ar >> v.template emplace<I>()) : void()), ...);
}

}  // namespace detail

template <class T, class A>
Archive& operator<<(Archive& ar, const std::vector<T, A>& v) {
    if constexpr (detail::kIsBulkScalar<T>) {
        ar.WriteCount(v.size());
        ar.WriteElements(v.data(), v.size());
    } else if constexpr (kStoredAsBytes<T>) {
        static_assert(std::is_trivially_copyable_v<T>,
                      "kStoredAsBytes needs a trivially copyable type");
        if (ar.GetByteOrder() == std::endian::native) {
            ar.WriteCount(v.size());
            ar.Write(v.data(), v.size() * sizeof(T));
        } else {
            detail::StoreRange(ar, v, v.size());
        }
    } else {
        detail::StoreRange(ar, v, v.size());
    }
    return ar;
}

template <class T, class A>
Archive& operator>>(Archive& ar, std::vector<T, A>& v) {
    if constexpr (detail::kIsBulkScalar<T>) {
        ar.ReadElements(v, ar.ReadCount());
    } else if constexpr (kStoredAsBytes<T>) {
        const std::uint64_t count = ar.ReadCount();
        if (ar.GetByteOrder() == std::endian::native) {
            ar.ReadElements(v, count);
        } else {
            detail::LoadBackInserted(ar, v, count);
        }
    } else {
        detail::LoadBackInserted(ar, v);
    }
    return ar;
}

// Its memory is an eighth of the bytes it reads, so it needs no charge.
template <class A>
Archive& operator>>(Archive& ar, std::vector<bool, A>& v) {
    const std::uint64_t count = ar.ReadCount();
    ar.LoadValue([&] {
        v.clear();
        for (std::uint64_t i = 0; i < count; ++i) {
            bool bit = false;
            ar >> bit;
            v.push_back(bit);
        }
    });
    return ar;
}

template <class T, std::size_t N>
Archive& operator<<(Archive& ar, const std::array<T, N>& a) {
    for (const auto& element : a) {
        ar << element;
    }
    return ar;
}

template <class T, std::size_t N>
Archive& operator>>(Archive& ar, std::array<T, N>& a) {
    for (auto& element : a) {
        ar >> element;
    }
    return ar;
}

template <detail::StoredAsRange C>
Archive& operator<<(Archive& ar, const C& c) {
    detail::StoreRange(ar, c, c.size());
    return ar;
}

template <detail::ListLike C>
Archive& operator>>(Archive& ar, C& c) {
    detail::LoadBackInserted(ar, c);
    return ar;
}

template <class T, class A>
Archive& operator<<(Archive& ar, const std::forward_list<T, A>& l) {
    detail::StoreRange(ar, l, static_cast<std::uint64_t>(std::distance(l.begin(), l.end())));
    return ar;
}

template <class T, class A>
Archive& operator>>(Archive& ar, std::forward_list<T, A>& l) {
    const std::uint64_t count = ar.ReadCount();
    ar.LoadValue([&] {
        l.clear();
        auto last = l.before_begin();
        for (std::uint64_t i = 0; i < count; ++i) {
            ar.ChargeMemory(detail::kElementCost<std::forward_list<T, A>>);
            last = l.emplace_after(last);
            ar >> *last;
        }
    });
    return ar;
}

template <detail::MapLike C>
Archive& operator<<(Archive& ar, const C& m) {
    ar.WriteCount(m.size());
    for (const auto& [key, value] : m) {
        ar << key << value;
    }
    return ar;
}

template <detail::MapLike C>
Archive& operator>>(Archive& ar, C& m) {
    const std::uint64_t count = ar.ReadCount();
    ar.LoadValue([&] {
        m.clear();
        detail::ReserveIfPossible(ar, m, count);
        for (std::uint64_t i = 0; i < count; ++i) {
            ar.ChargeMemory(detail::kElementCost<C>);
            typename C::key_type key{};
            typename C::mapped_type value{};
            ar >> key >> value;
            if constexpr (requires {
                              m.insert_or_assign(m.end(), std::move(key), std::move(value));
                          }) {
                m.insert_or_assign(m.end(), std::move(key), std::move(value));
            } else {
                m.emplace_hint(m.end(), std::move(key), std::move(value));
            }
        }
    });
    return ar;
}

template <detail::SetLike C>
Archive& operator>>(Archive& ar, C& s) {
    const std::uint64_t count = ar.ReadCount();
    ar.LoadValue([&] {
        s.clear();
        detail::ReserveIfPossible(ar, s, count);
        for (std::uint64_t i = 0; i < count; ++i) {
            ar.ChargeMemory(detail::kElementCost<C>);
            typename C::key_type key{};
            ar >> key;
            if constexpr (!detail::kIsMultiContainer<C>) {
                if (auto same = s.find(key); same != s.end()) {
                    s.erase(same);
                }
            }
            s.emplace_hint(s.end(), std::move(key));
        }
    });
    return ar;
}

template <class T>
Archive& operator<<(Archive& ar, const std::optional<T>& o) {
    ar << o.has_value();
    if (o) {
        ar << *o;
    }
    return ar;
}

template <class T>
Archive& operator>>(Archive& ar, std::optional<T>& o) {
    bool present = false;
    ar >> present;
    if (present) {
        ar >> o.emplace();
    } else {
        o.reset();
    }
    return ar;
}

template <class A, class B>
Archive& operator<<(Archive& ar, const std::pair<A, B>& p) {
    return ar << p.first << p.second;
}

template <class A, class B>
Archive& operator>>(Archive& ar, std::pair<A, B>& p) {
    return ar >> p.first >> p.second;
}

template <class... T>
Archive& operator<<(Archive& ar, const std::tuple<T...>& t) {
    std::apply([&ar](const auto&... element) { ((ar << element), ...); }, t);
    return ar;
}

template <class... T>
Archive& operator>>(Archive& ar, std::tuple<T...>& t) {
    std::apply([&ar](auto&... element) { ((ar >> element), ...); }, t);
    return ar;
}

inline Archive& operator<<(Archive& ar, std::monostate) {
    return ar;
}
inline Archive& operator>>(Archive& ar, std::monostate&) {
    return ar;
}

template <class... T>
Archive& operator<<(Archive& ar, const std::variant<T...>& v) {
    if (v.valueless_by_exception()) {
        throw ArchiveException(ArchiveException::genericException, "variant holds no value");
    }
    ar.WriteCount(v.index());
    std::visit([&ar](const auto& value) { ar << value; }, v);
    return ar;
}

template <class... T>
Archive& operator>>(Archive& ar, std::variant<T...>& v) {
    const std::uint64_t index = ar.ReadCount();
    if (index >= sizeof...(T)) {
        throw ArchiveException(ArchiveException::badIndex, "variant alternative out of range");
    }
    detail::LoadAlternative(ar, v, index, std::index_sequence_for<T...>{});
    return ar;
}

}  // namespace xsock
