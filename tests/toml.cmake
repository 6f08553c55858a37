# TOML parser tests (included from tests/CMakeLists.txt): unit tests of the
# API the configuration layer uses, the toml-decoder program for toml-test's
# own runner, the toml-test 1.0.0 conformance run when the shared data is
# present, and a libFuzzer target when building with clang.
incidentd_unit_test(test_toml SOURCES test_toml.c LIBS incidentd_bot)

# toml_json.c is compiled into both programs: it is test code, not product.
add_executable(toml-decoder toml_decoder.c toml_json.c)
target_include_directories(toml-decoder PRIVATE ${CMAKE_CURRENT_SOURCE_DIR})
target_link_libraries(toml-decoder PRIVATE incidentd_bot PkgConfig::CJSON)

if(HAVE_SHARED)
  set(TOML_TEST_DIR "${INCIDENTD_SHARED_DIR}/toml-test")
  add_executable(test_toml_suite test_toml_suite.c toml_json.c)
  target_include_directories(test_toml_suite PRIVATE ${CMAKE_CURRENT_SOURCE_DIR})
  target_link_libraries(test_toml_suite PRIVATE incidentd_bot PkgConfig::CJSON)
  add_test(NAME toml_test_suite COMMAND test_toml_suite "${TOML_TEST_DIR}")
  # Labelled unit so that scripts/test.sh also runs it under valgrind.
  set_tests_properties(toml_test_suite PROPERTIES TIMEOUT 120 LABELS unit)

  # The decoder end to end: U+0000 must come out as \u0000, and a bad
  # document must exit 1 with line:col on stderr.
  add_test(NAME toml_decoder_valid
           COMMAND sh -c "\"$0\" < \"$1\"" $<TARGET_FILE:toml-decoder>
                   "${TOML_TEST_DIR}/valid/string/unicode-escape.toml")
  set_tests_properties(toml_decoder_valid PROPERTIES TIMEOUT 30
                       PASS_REGULAR_EXPRESSION "\"null-1\":[ \t\n]*{[^}]*\"value\":[ \t]*\"\\\\u0000\"")
  add_test(NAME toml_decoder_invalid
           COMMAND sh -c "\"$0\" < \"$1\"; test $? -eq 1" $<TARGET_FILE:toml-decoder>
                   "${TOML_TEST_DIR}/invalid/string/bad-escape-01.toml")
  set_tests_properties(toml_decoder_invalid PROPERTIES TIMEOUT 30
                       PASS_REGULAR_EXPRESSION "^[0-9]+:[0-9]+: invalid escape")
endif()

# libFuzzer needs clang. toml.c is compiled into the target directly so that
# it gets the fuzzer's coverage instrumentation; the gcc build skips this.
if(CMAKE_C_COMPILER_ID STREQUAL "Clang")
  add_executable(fuzz_toml fuzz/fuzz_toml.c ${PROJECT_SOURCE_DIR}/bot/toml.c)
  target_include_directories(fuzz_toml PRIVATE ${PROJECT_SOURCE_DIR}/bot)
  target_link_libraries(fuzz_toml PRIVATE incidentd_common)
  target_compile_options(fuzz_toml PRIVATE -fsanitize=fuzzer,address,undefined)
  target_link_options(fuzz_toml PRIVATE -fsanitize=fuzzer,address,undefined)
endif()
