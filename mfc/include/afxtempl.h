// afxtempl.h for xsock::mfc: MFC's collection templates CArray and CList, and
// the classes of afxcoll.h built on them (CByteArray, CWordArray,
// CDWordArray, CUIntArray, CStringArray, CObArray, CPtrArray, CObList,
// CStringList, CPtrList), with MFC's Serialize byte layout and
// SerializeElements. CMap and the typed-pointer and string maps are not here
// yet. Thread rules and errors: see afx/Array.h and afx/List.h.
#pragma once

#include "afx.h"
#include "afx/Array.h"
#include "afx/List.h"
