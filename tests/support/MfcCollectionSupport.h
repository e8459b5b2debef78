// What the MFC collection suites share: a collection stored into a CMemFile
// through a CArchive, and loaded back from bytes, as MFC code does.
#pragma once

#include <afx.h>

#include "ArchiveTestSupport.h"

namespace xsock::test {

inline Bytes StoredCollection(CObject& collection) {
    CMemFile file;
    {
        CArchive ar(&file, CArchive::store);
        collection.Serialize(ar);
        ar.Close();
    }
    return Bytes(file.GetData(), file.GetData() + file.GetLength());
}

inline void LoadCollection(const Bytes& bytes, CObject& collection) {
    Bytes copy = bytes;
    CMemFile file(copy.data(), static_cast<UINT>(copy.size()));
    CArchive ar(&file, CArchive::load);
    collection.Serialize(ar);
}

}  // namespace xsock::test
