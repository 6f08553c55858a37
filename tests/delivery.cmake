# Tests of delivery's lanes and of rendering incidents at perform time:
# the outbox's per-target claims and the incident view (unit, real database
# files), and delivery performing effects against the Slack emulator on
# loopback (integration).
incidentd_unit_test(test_outbox_lanes SOURCES test_outbox_lanes.c LIBS incidentd_store)
incidentd_unit_test(test_inc_view SOURCES test_inc_view.c LIBS incidentd_commands)
# Exactly once (issue 15): message metadata found again, Statuspage updates already carried
# out, a target's waiting effects due at once when it answers again.
incidentd_unit_test(test_once SOURCES test_once.c LIBS incidentd_bot)
if(EXISTS ${CMAKE_CURRENT_SOURCE_DIR}/slackemu/CMakeLists.txt)
  add_executable(test_delivery_emu test_delivery_emu.c test_slack_emu.c)
  target_include_directories(test_delivery_emu PRIVATE ${CMAKE_CURRENT_SOURCE_DIR})
  target_link_libraries(test_delivery_emu PRIVATE incidentd_bot)
  add_test(NAME test_delivery_emu COMMAND test_delivery_emu $<TARGET_FILE:slackemu>)
  set_tests_properties(test_delivery_emu PROPERTIES TIMEOUT 300 LABELS integration)
endif()
