// SerializeElements: how MFC's collection templates store their elements.
//
// As in MFC, an element goes out as its raw bytes (padding included, in the
// machine's byte order) unless a better overload exists: CStrings go out as
// MFC strings. A port specializes SerializeElements for its own types exactly
// as under MFC. Raw bytes are only MFC's bytes when the type has the same
// layout on both sides: use the fixed-width Win32 types (LONG, not long) in
// such structs. Loading grows a collection in steps as bytes arrive, so a
// hostile count costs memory only as its data actually arrives.
#pragma once

#include "Archive.h"

#include <algorithm>
#include <cstddef>
#include <limits>
#include <type_traits>

template <class TYPE>
void SerializeElements(CArchive& ar, TYPE* elements, INT_PTR count) {
    static_assert(std::is_trivially_copyable_v<TYPE>,
                  "raw-byte SerializeElements needs a trivially copyable type; "
                  "specialize SerializeElements for this type, as under MFC");
    auto* bytes = reinterpret_cast<BYTE*>(elements);
    auto left = static_cast<std::size_t>(count) * sizeof(TYPE);
    while (left != 0) {
        const auto n =
            static_cast<UINT>(std::min<std::size_t>(left, std::numeric_limits<UINT>::max()));
        if (ar.IsStoring()) {
            ar.Write(bytes, n);
        } else if (ar.Read(bytes, n) != n) {
            AfxThrowArchiveException(CArchiveException::endOfFile);
        }
        bytes += n;
        left -= n;
    }
}

template <class C>
void SerializeElements(CArchive& ar, xsock::mfc::CStringT<C>* elements, INT_PTR count) {
    for (INT_PTR i = 0; i < count; ++i) {
        if (ar.IsStoring()) {
            ar << elements[i];
        } else {
            ar >> elements[i];
        }
    }
}

namespace xsock::mfc {

// Loads `count` elements into a resizable container in steps of at most 64 KiB
// beyond what it already holds, as the core's loads do.
template <class Container, class Load>
void LoadInSteps(Container& container, std::size_t count, Load&& load) {
    using T = typename Container::value_type;
    constexpr std::size_t kStep = std::max<std::size_t>(1, std::size_t{64} * 1024 / sizeof(T));
    container.clear();
    std::size_t done = 0;
    while (done < count) {
        const std::size_t step = std::min(count - done, std::max(kStep, done));
        container.resize(done + step);
        load(container.data() + done, step);
        done += step;
    }
}

}  // namespace xsock::mfc
