# The Atlassian Statuspage mirror's client (statuspage/sp_api.c) over loopback against
# statuspageemu (tests/statuspageemu, python3 is a test tool); request bodies are also
# checked against the published API description when ../shared has it.
find_program(PYTHON3_SP python3)
if(PYTHON3_SP)
  add_executable(test_sp_api_emu test_sp_api_emu.c)
  target_include_directories(test_sp_api_emu PRIVATE ${CMAKE_CURRENT_SOURCE_DIR})
  target_link_libraries(test_sp_api_emu PRIVATE incidentd_statuspage)
  add_test(NAME test_sp_api_emu
           COMMAND test_sp_api_emu ${CMAKE_CURRENT_SOURCE_DIR}/statuspageemu/statuspageemu.py
                   ${INCIDENTD_SHARED_DIR}/statuspage-samples/statuspage-management-api-openapi.json)
  set_tests_properties(test_sp_api_emu PROPERTIES TIMEOUT 120 LABELS "unit;integration")
endif()
