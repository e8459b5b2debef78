// afxcoll.h for xsock::mfc: MFC's non-template collections (CObArray,
// CStringArray, CObList, CStringList, ...). They are defined with the
// templates in afxtempl.h, which this header includes; see it for the layout,
// thread rules and errors.
#pragma once

#include "afxtempl.h"
