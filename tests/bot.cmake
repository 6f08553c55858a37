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
