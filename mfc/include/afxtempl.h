// afxtempl.h for xsock::mfc: MFC's collection templates CArray, CList and CMap,
// the classes of afxcoll.h built on them (CByteArray, CWordArray,
// CDWordArray, CUIntArray, CStringArray, CObArray, CPtrArray, CObList,
// CStringList, CPtrList, CMapStringToString, CMapStringToOb, CMapWordToOb,
// CMapStringToPtr, CMapWordToPtr, CMapPtrToWord, CMapPtrToPtr), and the
// type-safe CTypedPtrList, CTypedPtrArray and CTypedPtrMap over the pointer
// collections, with MFC's Serialize byte layout, SerializeElements and, for
// maps, MFC's hash order. A typed collection serializes as its base, as in
// MFC. Thread rules and errors: see afx/Array.h, afx/List.h, afx/Map.h and
// afx/TypedPtr.h.
#pragma once

#include "afx.h"
#include "afx/Array.h"
#include "afx/List.h"
#include "afx/Map.h"
#include "afx/TypedPtr.h"
