# What the fuzz/ subdirectories share (included by each): a libFuzzer target over a few
# libraries, with fuzz/ on its include path for fuzz_common.h, and its short ctest run on a
# seed corpus (new inputs go to the build directory; undefined behaviour stops the run).
include_guard(GLOBAL)
set(FUZZ_SHORT_SECONDS 10 CACHE STRING "seconds each issue #10 fuzzer runs under ctest")

# yq_fuzz_target(NAME LIB...): the executable NAME from NAME.c linked with the LIBs.
function(yq_fuzz_target name)
  add_executable(${name} ${name}.c)
  target_link_libraries(${name} PRIVATE ${ARGN})
  target_include_directories(${name} PRIVATE ${PROJECT_SOURCE_DIR}/fuzz)
  target_link_options(${name} PRIVATE -fsanitize=fuzzer)
endfunction()

# yq_fuzz_test(TEST TARGET SEEDS CORPUS RSS_MB [SECONDS]): ctest TEST (label fuzz) runs TARGET
# for SECONDS (default FUZZ_SHORT_SECONDS) on the seed directory SEEDS, writing to
# corpus_CORPUS in the build tree.
function(yq_fuzz_test test target seeds corpus rss_mb)
  set(seconds ${FUZZ_SHORT_SECONDS})
  if(ARGC GREATER 5)
    set(seconds ${ARGV5})
  endif()
  file(MAKE_DIRECTORY ${CMAKE_CURRENT_BINARY_DIR}/corpus_${corpus})
  add_test(NAME ${test}
    COMMAND ${target} -max_total_time=${seconds} -rss_limit_mb=${rss_mb} -timeout=10
            ${CMAKE_CURRENT_BINARY_DIR}/corpus_${corpus} ${seeds})
  set_tests_properties(${test} PROPERTIES LABELS fuzz TIMEOUT 120
    ENVIRONMENT "UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1")
endfunction()
