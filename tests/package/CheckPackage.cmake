# Installs the build tree into a scratch prefix, then builds a small consumer
# twice: once through find_package(xsock CONFIG), once through add_subdirectory.
foreach(var SOURCE_DIR BUILD_DIR WORK_DIR CXX)
    if(NOT DEFINED ${var})
        message(FATAL_ERROR "CheckPackage.cmake needs -D${var}=...")
    endif()
endforeach()

file(REMOVE_RECURSE ${WORK_DIR})
set(prefix ${WORK_DIR}/prefix)

function(run)
    execute_process(COMMAND ${ARGN} RESULT_VARIABLE result OUTPUT_VARIABLE out ERROR_VARIABLE out)
    if(NOT result EQUAL 0)
        message(FATAL_ERROR "failed: ${ARGN}\n${out}")
    endif()
endfunction()

run(${CMAKE_COMMAND} --install ${BUILD_DIR} --prefix ${prefix})

foreach(mode package subdirectory)
    set(build ${WORK_DIR}/consumer-${mode})
    run(${CMAKE_COMMAND} -S ${SOURCE_DIR}/tests/package/consumer -B ${build}
        -DCMAKE_CXX_COMPILER=${CXX} -DCMAKE_PREFIX_PATH=${prefix}
        -DXSOCK_CONSUME=${mode} -DXSOCK_SOURCE_DIR=${SOURCE_DIR})
    run(${CMAKE_COMMAND} --build ${build})
    run(${build}/consumer)
    message(STATUS "consumer through ${mode}: ok")
endforeach()
