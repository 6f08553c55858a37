# Tests of slack/: unit tests of the pure parts (envelope decoding against
# the shared Socket Mode samples, Web API answer decoding and encoding,
# backoff and the rate limiter), and loopback integration tests of the Web
# API and Socket Mode clients against the Slack emulator (tests/slackemu).
incidentd_unit_test(test_slack_envelope SOURCES test_slack_envelope.c LIBS incidentd_slack)
if(HAVE_SHARED)
  add_test(NAME test_slack_envelope_samples
           COMMAND test_slack_envelope ${INCIDENTD_SHARED_DIR}/slack-samples/socket-mode)
  set_tests_properties(test_slack_envelope_samples PROPERTIES TIMEOUT 120 LABELS unit)
endif()
incidentd_unit_test(test_slack_ratelimit SOURCES test_slack_ratelimit.c LIBS incidentd_slack)
incidentd_unit_test(test_slack_api SOURCES test_slack_api.c LIBS incidentd_slack)
if(HAVE_SHARED)
  add_test(NAME test_slack_api_samples
           COMMAND test_slack_api ${INCIDENTD_SHARED_DIR}/slack-samples/web-api)
  set_tests_properties(test_slack_api_samples PROPERTIES TIMEOUT 120 LABELS unit)
endif()

# Loopback tests against the Slack emulator, when it is part of the tree.
if(EXISTS ${CMAKE_CURRENT_SOURCE_DIR}/slackemu/CMakeLists.txt)
  add_executable(test_slack_api_emu test_slack_api_emu.c test_slack_emu.c)
  target_include_directories(test_slack_api_emu PRIVATE ${CMAKE_CURRENT_SOURCE_DIR})
  target_link_libraries(test_slack_api_emu PRIVATE incidentd_slack Threads::Threads)
  add_test(NAME test_slack_api_emu COMMAND test_slack_api_emu $<TARGET_FILE:slackemu>)
  set_tests_properties(test_slack_api_emu PROPERTIES TIMEOUT 300 LABELS "integration")
endif()
if(EXISTS ${CMAKE_CURRENT_SOURCE_DIR}/slackemu/CMakeLists.txt)
  add_executable(test_slack_ws_emu test_slack_ws_emu.c test_slack_emu.c)
  target_include_directories(test_slack_ws_emu PRIVATE ${CMAKE_CURRENT_SOURCE_DIR})
  target_link_libraries(test_slack_ws_emu PRIVATE incidentd_slack Threads::Threads)
  foreach(scenario basic refused refresh drop link_disabled bad_token too_many too_many_kept
                   backoff frames
                   stall insecure)
    add_test(NAME test_slack_ws_${scenario}
             COMMAND test_slack_ws_emu $<TARGET_FILE:slackemu> ${scenario})
    set_tests_properties(test_slack_ws_${scenario} PROPERTIES TIMEOUT 300 LABELS "integration")
  endforeach()
endif()

# libFuzzer target for envelope and Web API answer decoding; clang only.
if(CMAKE_C_COMPILER_ID STREQUAL "Clang")
  add_executable(fuzz_slack fuzz/fuzz_slack.c)
  target_link_libraries(fuzz_slack PRIVATE incidentd_slack)
  target_compile_options(fuzz_slack PRIVATE -fsanitize=fuzzer,address,undefined)
  target_link_options(fuzz_slack PRIVATE -fsanitize=fuzzer,address,undefined)
endif()
