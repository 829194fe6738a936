# Runs PROGRAM under MPIEXEC on 1, 2, 3 and 4 ranks and requires the same output bytes from
# each, ending in the line of rank 0's check against one process.
#
#   cmake -DMPIEXEC=mpiexec -DPROGRAM=./mpi_train -P mpi_ranks.cmake
execute_process(COMMAND "${MPIEXEC}" --version OUTPUT_VARIABLE version ERROR_QUIET)
set(flags)
if(version MATCHES "Open MPI|OpenRTE")
    # More ranks than cores, and a root user (as in CI containers).
    set(flags --oversubscribe --allow-run-as-root)
endif()
foreach(ranks 1 2 3 4)
    execute_process(COMMAND "${MPIEXEC}" ${flags} -np ${ranks} "${PROGRAM}"
                    OUTPUT_VARIABLE out RESULT_VARIABLE status)
    if(NOT status EQUAL 0)
        message(FATAL_ERROR "${ranks} ranks: exit status ${status}\n${out}")
    endif()
    if(ranks EQUAL 1)
        set(first "${out}")
        if(NOT out MATCHES "the same bits as one process over all the data\n$")
            message(FATAL_ERROR "1 rank: no match with one process\n${out}")
        endif()
    elseif(NOT out STREQUAL first)
        message(FATAL_ERROR "${ranks} ranks print otherwise than 1:\n${out}\n---\n${first}")
    endif()
endforeach()
message(STATUS "1 to 4 ranks: the same output, matching one process")
