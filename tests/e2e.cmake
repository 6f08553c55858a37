# End-to-end tests: the unmodified incidentd binary against the Slack
# emulator on loopback, driven by Python scripts (python3 is a test tool).
find_program(PYTHON3 python3)
if(TARGET slackemu AND PYTHON3)
  add_test(NAME slack_e2e
           COMMAND ${PYTHON3} ${CMAKE_CURRENT_SOURCE_DIR}/e2e/slack_e2e.py
                   $<TARGET_FILE:incidentd> $<TARGET_FILE:slackemu>)
  set_tests_properties(slack_e2e PROPERTIES TIMEOUT 180 LABELS e2e)
  add_test(NAME delivery_e2e
           COMMAND ${PYTHON3} ${CMAKE_CURRENT_SOURCE_DIR}/e2e/delivery_e2e.py
                   $<TARGET_FILE:incidentd> $<TARGET_FILE:slackemu>)
  set_tests_properties(delivery_e2e PROPERTIES TIMEOUT 180 LABELS e2e)
  # Declaring and setting up incidents (issue 5). DECLARE_E2E_FULL=1 in the environment waits
  # for all 200 incidents of the burst scenario to be set up (about 11 minutes: run it by hand).
  add_test(NAME declare_e2e
           COMMAND ${PYTHON3} ${CMAKE_CURRENT_SOURCE_DIR}/e2e/declare_e2e.py
                   $<TARGET_FILE:incidentd> $<TARGET_FILE:slackemu>)
  set_tests_properties(declare_e2e PROPERTIES TIMEOUT 600 LABELS e2e)
  # The declare form opens within the trigger's 3 s while the slack lane has a backlog.
  add_test(NAME modal_backlog_e2e
           COMMAND ${PYTHON3} ${CMAKE_CURRENT_SOURCE_DIR}/e2e/modal_backlog_e2e.py
                   $<TARGET_FILE:incidentd> $<TARGET_FILE:slackemu>)
  set_tests_properties(modal_backlog_e2e PROPERTIES TIMEOUT 180 LABELS e2e)
  # The loop never waits on the database (issue 15): another process holds the write lock for
  # 10 s while envelopes arrive; HTTP answers at once, the links stay, /healthz shows it, and
  # every envelope is acked and processed once after. About 25 s.
  add_test(NAME db_lock_e2e
           COMMAND ${PYTHON3} ${CMAKE_CURRENT_SOURCE_DIR}/e2e/db_lock_e2e.py
                   $<TARGET_FILE:incidentd> $<TARGET_FILE:slackemu>)
  set_tests_properties(db_lock_e2e PROPERTIES TIMEOUT 180 LABELS e2e)
  # too_many_websockets on one link, then on every link: never left without a link. ~15 s.
  add_test(NAME links_e2e
           COMMAND ${PYTHON3} ${CMAKE_CURRENT_SOURCE_DIR}/e2e/links_e2e.py
                   $<TARGET_FILE:incidentd> $<TARGET_FILE:slackemu>)
  set_tests_properties(links_e2e PROPERTIES TIMEOUT 180 LABELS e2e)
  # Publishing through Slack, mirrored to the Statuspage emulator and shown on our own page.
  add_test(NAME publish_e2e
           COMMAND ${PYTHON3} ${CMAKE_CURRENT_SOURCE_DIR}/e2e/publish_e2e.py
                   $<TARGET_FILE:incidentd> $<TARGET_FILE:slackemu>)
  set_tests_properties(publish_e2e PROPERTIES TIMEOUT 300 LABELS e2e)
  # A reminder that fell due while the bot was down is sent once, across restarts and kill -9.
  add_test(NAME reminder_restart_e2e
           COMMAND ${PYTHON3} ${CMAKE_CURRENT_SOURCE_DIR}/e2e/reminder_restart_e2e.py
                   $<TARGET_FILE:incidentd> $<TARGET_FILE:slackemu>)
  set_tests_properties(reminder_restart_e2e PROPERTIES TIMEOUT 180 LABELS e2e)
  # Running the plan to the end (issue 6): the nine steps in business hours, out of hours
  # (on call DMed, IRMs paged by severity), permission denials. About 30 s.
  add_test(NAME plan_e2e
           COMMAND ${PYTHON3} ${CMAKE_CURRENT_SOURCE_DIR}/e2e/plan_e2e.py
                   $<TARGET_FILE:incidentd> $<TARGET_FILE:slackemu>)
  set_tests_properties(plan_e2e PROPERTIES TIMEOUT 300 LABELS e2e)
  # The built-in status page over real HTTP: JSON API, HTML, feeds, only published incidents,
  # escaping, 405/404/304, HEAD, a store change reaching the page, and the two listeners
  # (/healthz and /metrics only on the internal one, the page only on the public one).
  add_test(NAME page_e2e
           COMMAND ${PYTHON3} ${CMAKE_CURRENT_SOURCE_DIR}/e2e/page_e2e.py
                   $<TARGET_FILE:incidentd> $<TARGET_FILE:slackemu>)
  set_tests_properties(page_e2e PROPERTIES TIMEOUT 180 LABELS e2e)
  # The Atlassian Statuspage mirror against statuspageemu: created once, updated in order, paced
  # at 1 request/s, the mirror down then back, 429/5xx retried, 4xx given up, kill -9 between
  # the create request and its answer -> no duplicate.
  add_test(NAME statuspage_e2e
           COMMAND ${PYTHON3} ${CMAKE_CURRENT_SOURCE_DIR}/e2e/statuspage_e2e.py
                   $<TARGET_FILE:incidentd> $<TARGET_FILE:slackemu>
                   ${CMAKE_CURRENT_SOURCE_DIR}/statuspageemu/statuspageemu.py)
  set_tests_properties(statuspage_e2e PROPERTIES TIMEOUT 300 LABELS e2e)
  # Exactly once (issue 15): kill -9 while slackemu / statuspageemu hold the answer of a
  # message, a thread reply or a Statuspage update they carried out -> shown once after the
  # restart; the catch-up after a Statuspage outage at the 1 request/s pacing. About 2 min.
  add_test(NAME once_e2e
           COMMAND ${PYTHON3} ${CMAKE_CURRENT_SOURCE_DIR}/e2e/once_e2e.py
                   $<TARGET_FILE:incidentd> $<TARGET_FILE:slackemu>
                   ${CMAKE_CURRENT_SOURCE_DIR}/statuspageemu/statuspageemu.py)
  set_tests_properties(once_e2e PROPERTIES TIMEOUT 300 LABELS e2e)
  # The status page in Debian's headless Chromium after incidents driven through Slack: DOM
  # and screenshots checked. `browser_e2e.py ... --keep-screenshot docs/` refreshes the
  # README's screenshots.
  find_program(CHROMIUM_BIN chromium)
  if(CHROMIUM_BIN)
    add_test(NAME browser_e2e
             COMMAND ${PYTHON3} ${CMAKE_CURRENT_SOURCE_DIR}/e2e/browser_e2e.py
                     $<TARGET_FILE:incidentd> $<TARGET_FILE:slackemu> --chromium ${CHROMIUM_BIN})
    set_tests_properties(browser_e2e PROPERTIES TIMEOUT 300 LABELS e2e)
  endif()
  # Outgoing webhooks against a receiver in the script: signed, once and in order through a
  # whole public life, 503 then 200 retried once, the receiver down then back, 400 given up
  # and said in the channel, nothing for an incident never published.
  add_test(NAME webhook_e2e
           COMMAND ${PYTHON3} ${CMAKE_CURRENT_SOURCE_DIR}/e2e/webhook_e2e.py
                   $<TARGET_FILE:incidentd> $<TARGET_FILE:slackemu>)
  set_tests_properties(webhook_e2e PROPERTIES TIMEOUT 300 LABELS e2e)
  # Private stays private, public reads right (issue 13): a breach incident's markers only in
  # its private channel and its team's messages (the announcement redacted, nothing threaded);
  # notes never on the page, the Statuspage mirror or webhooks; Slack markup converted once per
  # output; {{placeholders}} in user text literal. About 30 s.
  add_test(NAME privacy_e2e
           COMMAND ${PYTHON3} ${CMAKE_CURRENT_SOURCE_DIR}/e2e/privacy_e2e.py
                   $<TARGET_FILE:incidentd> $<TARGET_FILE:slackemu>
                   ${CMAKE_CURRENT_SOURCE_DIR}/statuspageemu/statuspageemu.py)
  set_tests_properties(privacy_e2e PROPERTIES TIMEOUT 180 LABELS e2e)
  # The public listener under abuse (issue 15): a descriptor flood under prlimit with held
  # upgrades while commands arrive, accept() failing with EMFILE, header and idle timeouts,
  # connection caps, a database locked by another process while the page is read. ~40 s.
  find_program(PRLIMIT_BIN prlimit)
  if(PRLIMIT_BIN)
    add_test(NAME http_hardening_e2e
             COMMAND ${PYTHON3} ${CMAKE_CURRENT_SOURCE_DIR}/e2e/http_hardening_e2e.py
                     $<TARGET_FILE:incidentd> $<TARGET_FILE:slackemu>)
    set_tests_properties(http_hardening_e2e PROPERTIES TIMEOUT 180 LABELS e2e)
  endif()
  find_program(OPENSSL_BIN openssl)
  if(OPENSSL_BIN) # makes the test CA and certificate
    add_test(NAME tls_e2e
             COMMAND ${PYTHON3} ${CMAKE_CURRENT_SOURCE_DIR}/e2e/tls_e2e.py
                     $<TARGET_FILE:incidentd> $<TARGET_FILE:slackemu>)
    set_tests_properties(tls_e2e PROPERTIES TIMEOUT 180 LABELS e2e)
  endif()
endif()
# Console mode (issue 8): examples/outage.txt through `incidentd console` on a fresh database,
# the status page it serves, and bad console input. Needs no Slack emulator.
if(PYTHON3)
  add_test(NAME console_e2e
           COMMAND ${PYTHON3} ${CMAKE_CURRENT_SOURCE_DIR}/e2e/console_e2e.py
                   $<TARGET_FILE:incidentd> ${PROJECT_SOURCE_DIR}/examples/outage.txt)
  set_tests_properties(console_e2e PROPERTIES TIMEOUT 300 LABELS e2e)
  # One process per database (issue 15): a second run or console is refused, naming the holder.
  add_test(NAME one_process_e2e
           COMMAND ${PYTHON3} ${CMAKE_CURRENT_SOURCE_DIR}/e2e/one_process_e2e.py
                   $<TARGET_FILE:incidentd>)
  set_tests_properties(one_process_e2e PROPERTIES TIMEOUT 120 LABELS e2e)
endif()
