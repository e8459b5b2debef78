// afxtempl.h for xsock::mfc: MFC's collection templates CArray, CList and CMap,
// and the classes of afxcoll.h built on them (CByteArray, CWordArray,
// CDWordArray, CUIntArray, CStringArray, CObArray, CPtrArray, CObList,
// CStringList, CPtrList, CMapStringToString, CMapStringToOb, CMapWordToOb,
// CMapStringToPtr, CMapWordToPtr, CMapPtrToWord, CMapPtrToPtr), with MFC's
// Serialize byte layout, SerializeElements and, for maps, MFC's hash order.
// The CTypedPtr templates are not here yet. Thread rules and errors: see
// afx/Array.h, afx/List.h and afx/Map.h.
#pragma once

#include "afx.h"
#include "afx/Array.h"
#include "afx/List.h"
#include "afx/Map.h"
