# The status page renderers (statuspage/page_*.c); with the shared data, also
# their JSON's keys and types against real Statuspage captures.
incidentd_unit_test(test_page SOURCES test_page.c LIBS incidentd_statuspage)
# The postmortem's Markdown subset as HTML (statuspage/page_md.c): nothing typed gets out as markup.
incidentd_unit_test(test_page_md SOURCES test_page_md.c LIBS incidentd_statuspage)
if(HAVE_SHARED)
  add_test(NAME test_page_samples COMMAND test_page "${INCIDENTD_SHARED_DIR}")
  set_tests_properties(test_page_samples PROPERTIES TIMEOUT 120 LABELS unit)
endif()

# Its configuration: [statuspage] title, url and [[statuspage.components]].
incidentd_unit_test(test_page_config SOURCES test_page_config.c LIBS incidentd_bot)

# libFuzzer target for the renderers (clang only): any user text renders escaped.
if(CMAKE_C_COMPILER_ID STREQUAL "Clang")
  add_executable(fuzz_page fuzz/fuzz_page.c)
  target_link_libraries(fuzz_page PRIVATE incidentd_statuspage)
  target_compile_definitions(fuzz_page PRIVATE _GNU_SOURCE) # memmem
  target_compile_options(fuzz_page PRIVATE -fsanitize=fuzzer,address,undefined)
  target_link_options(fuzz_page PRIVATE -fsanitize=fuzzer,address,undefined)
endif()
