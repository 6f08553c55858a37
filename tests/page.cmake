# The status page renderers (statuspage/page_*.c); with the shared data, also
# their JSON's keys and types against real Statuspage captures.
incidentd_unit_test(test_page SOURCES test_page.c LIBS incidentd_statuspage)
if(HAVE_SHARED)
  add_test(NAME test_page_samples COMMAND test_page "${INCIDENTD_SHARED_DIR}")
  set_tests_properties(test_page_samples PROPERTIES TIMEOUT 120 LABELS unit)
endif()

# Its configuration: [statuspage] title, url and [[statuspage.components]].
incidentd_unit_test(test_page_config SOURCES test_page_config.c LIBS incidentd_bot)
