// What the MFC suites share: bytes stored into a CMemFile through a
// CArchive, and loaded back from bytes, as MFC code does.
#pragma once

#include <afx.h>

#include "ArchiveTestSupport.h"

namespace xsock::test {

// The bytes `write(ar)` stores through a storing CArchive.
template <class Write>
Bytes Stored(Write&& write) {
    CMemFile file;
    {
        CArchive ar(&file, CArchive::store);
        write(ar);
        ar.Close();
    }
    return Bytes(file.GetData(), file.GetData() + file.GetLength());
}

// A loading archive over a copy of `bytes`.
struct Loader {
    explicit Loader(const Bytes& bytes)
        : data(bytes), file(data.data(), static_cast<UINT>(data.size())) {}
    Bytes data;
    CMemFile file;
    CArchive ar{&file, CArchive::load};
};

// Runs `read(ar)` on a loading CArchive over a copy of `bytes`.
template <class Read>
void Loaded(const Bytes& bytes, Read&& read) {
    Loader loader(bytes);
    read(loader.ar);
}

inline Bytes StoredCollection(CObject& collection) {
    return Stored([&](CArchive& ar) { collection.Serialize(ar); });
}

inline void LoadCollection(const Bytes& bytes, CObject& collection) {
    Loaded(bytes, [&](CArchive& ar) { collection.Serialize(ar); });
}

}  // namespace xsock::test
