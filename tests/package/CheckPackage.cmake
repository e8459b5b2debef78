# Installs the build tree into a scratch prefix, then builds a small consumer
# each way a user can bring xsock in: find_package(xsock CONFIG),
# add_subdirectory, and `pkg-config --cflags --libs xsock` with nothing but
# the compiler. The desktop libraries the install has (xsock::glib,
# xsock::qt) get a consumer of their own each way, through the CMake
# component and xsock-glib.pc / xsock-qt.pc, which must find the toolkit. When the tree was built shared, the installed consumers must run
# against the installed shared libraries; when it was built static, the static
# libraries must link into a shared object.
#
# Through pkg-config, the README's complete programs (the first AsyncSocket,
# the Qt dialog, and with WX_CONFIG the wxWidgets one) are built as the
# README says to build them, so the README cannot drift from the API.
#
#   cmake -DSOURCE_DIR=... -DBUILD_DIR=... -DWORK_DIR=... -DCXX=... -DPKG_CONFIG=...
#         -DSHARED=ON|OFF [-DLIBDIR=lib] [-DDOCDIR=share/doc/xsock]
#         [-DMODES=package;pkgconfig;subdirectory] [-DWX_CONFIG=wx-config]
#         -P CheckPackage.cmake
foreach(var SOURCE_DIR BUILD_DIR WORK_DIR CXX PKG_CONFIG SHARED)
    if(NOT DEFINED ${var})
        message(FATAL_ERROR "CheckPackage.cmake needs -D${var}=...")
    endif()
endforeach()
if(NOT DEFINED MODES)
    # The add_subdirectory consumer builds its own (static) xsock whatever this
    # tree is, so a static tree's run covers it and a shared tree skips it.
    set(MODES package pkgconfig)
    if(NOT SHARED)
        list(APPEND MODES subdirectory)
    endif()
endif()

file(REMOVE_RECURSE ${WORK_DIR})
set(prefix ${WORK_DIR}/prefix)

function(run)
    execute_process(COMMAND ${ARGN} RESULT_VARIABLE result OUTPUT_VARIABLE out ERROR_VARIABLE out)
    if(NOT result EQUAL 0)
        message(FATAL_ERROR "failed: ${ARGN}\n${out}")
    endif()
    set(out "${out}" PARENT_SCOPE)
endfunction()

# Writes the README's first C++ block after `marker` to `file`.
function(readme_program marker file)
    file(READ ${SOURCE_DIR}/README.md readme)
    string(FIND "${readme}" "${marker}" at)
    if(at LESS 0)
        message(FATAL_ERROR "README.md no longer has '${marker}'")
    endif()
    string(SUBSTRING "${readme}" ${at} -1 readme)
    string(FIND "${readme}" "```cpp\n" at)
    math(EXPR at "${at} + 7")
    string(SUBSTRING "${readme}" ${at} -1 readme)
    string(FIND "${readme}" "```" end)
    string(SUBSTRING "${readme}" 0 ${end} program)
    file(WRITE ${file} "${program}")
endfunction()

# Compiler and linker flags from pkg-config for the packages after
# `variable`, into `variable`.
function(pkg_flags variable)
    run(${PKG_CONFIG} --cflags --libs ${static} ${ARGN})
    string(STRIP "${out}" flags)
    separate_arguments(flags UNIX_COMMAND "${flags}")
    set(${variable} ${flags} PARENT_SCOPE)
endfunction()

# A consumer of the installed package: it runs, and in a shared build the
# loader takes libxsock_sockets, libxsock_archive (and the other libraries
# named) from the prefix.
function(check_runs program installed)
    if(SHARED AND installed)
        run(${CMAKE_COMMAND} -E env LD_LIBRARY_PATH=${libdir} ldd ${program})
        foreach(library xsock_sockets xsock_archive ${ARGN})
            if(NOT out MATCHES "lib${library}\\.so\\.[0-9.]+ => ${libdir}/lib${library}\\.so")
                message(FATAL_ERROR "${program} does not load lib${library}.so from ${libdir}:\n${out}")
            endif()
        endforeach()
    endif()
    run(${CMAKE_COMMAND} -E env LD_LIBRARY_PATH=${libdir} ${program})
endfunction()

run(${CMAKE_COMMAND} --install ${BUILD_DIR} --prefix ${prefix})
# Without LIBDIR and DOCDIR (GNUInstallDirs' relative paths), take them from
# where the install put xsock.pc and the LICENSE.
if(NOT DEFINED LIBDIR)
    file(GLOB_RECURSE found RELATIVE ${prefix} ${prefix}/*/pkgconfig/xsock.pc)
    string(REGEX REPLACE "/pkgconfig/xsock.pc$" "" LIBDIR "${found}")
endif()
if(NOT DEFINED DOCDIR)
    file(GLOB_RECURSE found RELATIVE ${prefix} ${prefix}/*/doc/xsock/LICENSE)
    string(REGEX REPLACE "/LICENSE$" "" DOCDIR "${found}")
endif()
set(libdir ${prefix}/${LIBDIR})
foreach(file ${DOCDIR}/LICENSE ${LIBDIR}/pkgconfig/xsock.pc include/xsock/SocketsExport.h
        include/xsock/ArchiveExport.h)
    if(NOT EXISTS ${prefix}/${file})
        message(FATAL_ERROR "the install lacks ${file}")
    endif()
endforeach()

set(desktop)
foreach(component glib qt)
    if(EXISTS ${prefix}/${LIBDIR}/pkgconfig/xsock-${component}.pc)
        list(APPEND desktop ${component})
    endif()
endforeach()
if(EXISTS ${prefix}/${LIBDIR}/pkgconfig/xsock-qt.pc AND NOT EXISTS ${prefix}/include/xsock/Qt.h)
    message(FATAL_ERROR "the install has xsock-qt.pc but not <xsock/Qt.h>")
endif()
if(EXISTS ${prefix}/${LIBDIR}/pkgconfig/xsock-glib.pc AND NOT EXISTS ${prefix}/include/xsock/GLib.h)
    message(FATAL_ERROR "the install has xsock-glib.pc but not <xsock/GLib.h>")
endif()
message(STATUS "desktop components installed: ${desktop}")
# A list would split into separate arguments on its way through run().
string(REPLACE ";" "," desktop_argument "${desktop}")

foreach(mode IN LISTS MODES)
    set(build ${WORK_DIR}/consumer-${mode})
    if(mode STREQUAL "pkgconfig")
        # A static install needs its private dependencies too (--static).
        set(static)
        if(NOT SHARED)
            set(static --static)
        endif()
        file(MAKE_DIRECTORY ${build})
        set(ENV{PKG_CONFIG_PATH} ${libdir}/pkgconfig)
        run(${PKG_CONFIG} --cflags --libs ${static} xsock)
        string(STRIP "${out}" flags)
        separate_arguments(flags UNIX_COMMAND "${flags}")
        # The .pc leaves the language level to the user: C++20 or later.
        run(${CXX} -std=c++20 ${SOURCE_DIR}/tests/package/consumer/main.cpp ${flags}
            -o ${build}/consumer)
        check_runs(${build}/consumer ON)
        if(EXISTS ${libdir}/pkgconfig/xsock-tls.pc)
            run(${PKG_CONFIG} --cflags --libs ${static} xsock-tls)
            string(STRIP "${out}" tlsFlags)
            separate_arguments(tlsFlags UNIX_COMMAND "${tlsFlags}")
            run(${CXX} -std=c++20 ${SOURCE_DIR}/tests/package/consumer/tls.cpp ${tlsFlags}
                -o ${build}/tls_consumer)
            check_runs(${build}/tls_consumer ON xsock_tls)
        endif()
        foreach(component IN LISTS desktop)
            run(${PKG_CONFIG} --cflags --libs ${static} xsock-${component})
            string(STRIP "${out}" flags)
            separate_arguments(flags UNIX_COMMAND "${flags}")
            # Qt's headers refuse code that is not position-independent, and
            # Qt6Core.pc does not say so.
            run(${CXX} -std=c++20 -fPIC ${SOURCE_DIR}/tests/package/consumer/${component}.cpp
                ${flags} -o ${build}/consumer-${component})
            check_runs(${build}/consumer-${component} ON xsock_${component})
        endforeach()
        if(NOT SHARED)
            # Static libraries are position-independent: they link into a
            # shared object (the linker refuses code that is not).
            pkg_flags(flags xsock)
            run(${CXX} -std=c++20 -shared -fPIC ${SOURCE_DIR}/tests/package/consumer/main.cpp
                ${flags} -o ${build}/libconsumer.so)
        endif()
        # The README's programs, built (not run: they need a server or a
        # display) with the README's commands.
        readme_program("## A first AsyncSocket" ${build}/readme-first.cpp)
        pkg_flags(flags xsock)
        run(${CXX} -std=c++20 ${build}/readme-first.cpp ${flags} -o ${build}/readme-first)
        list(FIND desktop qt qtAt)
        list(FIND desktop glib glibAt)
        if(qtAt GREATER_EQUAL 0)
            readme_program("A Qt dialog in MFC style" ${build}/readme-qt.cpp)
            pkg_flags(flags xsock-qt Qt6Widgets)
            run(${CXX} -std=c++20 -fPIC ${build}/readme-qt.cpp ${flags} -o ${build}/readme-qt)
        endif()
        if(glibAt GREATER_EQUAL 0 AND WX_CONFIG)
            readme_program("The same dialog with wxWidgets" ${build}/readme-wx.cpp)
            pkg_flags(flags xsock-glib)
            run(${WX_CONFIG} --cxxflags --libs)
            string(STRIP "${out}" wxFlags)
            separate_arguments(wxFlags UNIX_COMMAND "${wxFlags}")
            run(${CXX} -std=c++20 ${build}/readme-wx.cpp ${flags} ${wxFlags}
                -o ${build}/readme-wx)
        endif()
    else()
        run(${CMAKE_COMMAND} -S ${SOURCE_DIR}/tests/package/consumer -B ${build}
            -DCMAKE_CXX_COMPILER=${CXX} -DCMAKE_PREFIX_PATH=${prefix}
            -DXSOCK_CONSUME=${mode} -DXSOCK_SOURCE_DIR=${SOURCE_DIR} -DXSOCK_DESKTOP=${desktop_argument})
        run(${CMAKE_COMMAND} --build ${build})
        set(installed OFF)
        if(mode STREQUAL "package")
            set(installed ON)
        endif()
        check_runs(${build}/consumer ${installed})
        if(EXISTS ${build}/tls_consumer)
            check_runs(${build}/tls_consumer ${installed} xsock_tls)
        endif()
        foreach(component IN LISTS desktop)
            check_runs(${build}/consumer-${component} ${installed} xsock_${component})
        endforeach()
    endif()
    message(STATUS "consumer through ${mode}: ok")
endforeach()
