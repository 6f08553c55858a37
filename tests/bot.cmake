# Tests of bot/: configuration and logging (unit), and the incidentd
# command line driven as a real process (cli_test.sh).
add_executable(test_config test_config.c)
target_include_directories(test_config PRIVATE ${CMAKE_CURRENT_SOURCE_DIR})
target_link_libraries(test_config PRIVATE incidentd_bot)
add_test(NAME test_config COMMAND test_config ${CMAKE_SOURCE_DIR}/config.example.toml)
set_tests_properties(test_config PROPERTIES TIMEOUT 60 LABELS unit)

add_test(NAME cli COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/cli_test.sh $<TARGET_FILE:incidentd>
                          ${CMAKE_SOURCE_DIR})
set_tests_properties(cli PROPERTIES TIMEOUT 120)

# libFuzzer target for the command parser; clang only, like fuzz_toml.
if(CMAKE_C_COMPILER_ID STREQUAL "Clang")
  # The command table now reaches the plan, so the target links the whole library.
  add_executable(fuzz_cmd fuzz/fuzz_cmd.c)
  target_link_libraries(fuzz_cmd PRIVATE incidentd_commands)
  target_compile_options(fuzz_cmd PRIVATE -fsanitize=fuzzer,address,undefined)
  target_link_options(fuzz_cmd PRIVATE -fsanitize=fuzzer,address,undefined)
endif()

incidentd_unit_test(test_worker SOURCES test_worker.c LIBS incidentd_bot)
incidentd_unit_test(test_plan SOURCES test_plan.c LIBS incidentd_bot)
incidentd_unit_test(test_edit SOURCES test_edit.c LIBS incidentd_bot)
incidentd_unit_test(test_plan_steps SOURCES test_plan_steps.c LIBS incidentd_bot)
incidentd_unit_test(test_plan_status SOURCES test_plan_status.c LIBS incidentd_bot)
incidentd_unit_test(test_plan_cancel SOURCES test_cancel.c LIBS incidentd_bot)
# Who is paged: [business_hours] x severity x reminder kind (issue 14).
incidentd_unit_test(test_paging SOURCES test_paging.c LIBS incidentd_bot)
# Outgoing webhooks: signature (RFC 4231), event bodies, the plan's webhook effects.
incidentd_unit_test(test_webhook SOURCES test_webhook.c LIBS incidentd_bot)
# Repeated log lines collapsed into a count (issue 15).
incidentd_unit_test(test_log SOURCES test_log.c LIBS incidentd_bot)
incidentd_unit_test(test_hours SOURCES test_hours.c LIBS incidentd_bot)
# The console's in-process workspace through the real Web API client (issue 8).
incidentd_unit_test(test_console_slack SOURCES test_console_slack.c LIBS incidentd_bot)
