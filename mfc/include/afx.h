// afx.h for xsock::mfc: the non-GUI core of MFC that socket and serialization
// code includes, over xsock's libraries.
//
// It brings the Win32 types with Windows' sizes, ASSERT/VERIFY/TRACE and
// AfxMessageBox (afx/Win32.h), CString (afx/String.h), CObject and
// CRuntimeClass with the DECLARE_/IMPLEMENT_ macros (afx/Object.h),
// CException and its kin thrown as pointers with TRY/CATCH (afx/Exception.h),
// CFile and CMemFile (afx/File.h), CArchive (afx/Archive.h), CTime and
// CTimeSpan (afx/Time.h), COleDateTime (afx/OleDateTime.h), and CPoint, CSize
// and CRect (afx/Geometry.h; MFC has them in afxwin.h). Each part's
// header says how it maps onto the core and where it differs from MFC;
// docs/porting.md lists every difference. GUI classes stay out: a port
// supplies its own. Thread rules and errors are MFC's: objects belong to one
// thread at a time, and failures are thrown as CException-derived pointers.
#pragma once

#include "afx/Archive.h"
#include "afx/Exception.h"
#include "afx/File.h"
#include "afx/Geometry.h"
#include "afx/Object.h"
#include "afx/OleDateTime.h"
#include "afx/String.h"
#include "afx/Time.h"
#include "afx/Win32.h"
