# Tests of what deploys incidentd: the Slack app manifest against the code's
# Web API calls, the systemd units, and the online backup of the database.
find_program(PYTHON3_DEPLOY python3)
if(PYTHON3_DEPLOY)
  # Exactly the bot scopes of the Web API methods the code calls
  # (tests/manifest_test.py has the method -> scope table and its sources).
  add_test(NAME manifest COMMAND ${PYTHON3_DEPLOY} ${CMAKE_CURRENT_SOURCE_DIR}/manifest_test.py
                                 ${CMAKE_SOURCE_DIR})
  # Label deploy, not unit: the unit tests also run under valgrind, and this is Python.
  set_tests_properties(manifest PROPERTIES TIMEOUT 60 LABELS deploy)
endif()

# `incidentd backup` against a running daemon, its errors, and the restore procedure.
if(PYTHON3_DEPLOY)
  add_test(NAME backup_cli COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/backup_cli_test.sh
                                   $<TARGET_FILE:incidentd>)
  set_tests_properties(backup_cli PROPERTIES TIMEOUT 120 LABELS deploy)
endif()

# The systemd units (systemd-analyze verify and security, or a parse check), the env
# example, the service's configuration, and the binary run against the Slack emulator
# under a seccomp filter with the unit's RestrictAddressFamilies= (tests/restrict_af.c).
add_executable(restrict_af restrict_af.c)
if(PYTHON3_DEPLOY)
  set(DEPLOY_TEST_ARGS ${CMAKE_SOURCE_DIR} $<TARGET_FILE:incidentd>)
  if(TARGET slackemu)
    list(APPEND DEPLOY_TEST_ARGS $<TARGET_FILE:restrict_af> $<TARGET_FILE:slackemu>)
  endif()
  add_test(NAME deploy COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/deploy_test.sh ${DEPLOY_TEST_ARGS})
  set_tests_properties(deploy PROPERTIES TIMEOUT 120 LABELS deploy)
endif()

# The container image (tests/image_test.sh): built with podman on a base made with
# debootstrap, its metadata and its exported filesystem checked, and its command run with
# chroot against the Slack emulator. Label image, nothing else: minutes on a first run
# (then cached in INCIDENTD_IMAGE_CACHE), so scripts/test.sh runs it once, in the normal
# build only. Skips (77) unless root with podman and debootstrap (scripts/install-deps.sh).
set(INCIDENTD_IMAGE_CACHE "${CMAKE_BINARY_DIR}/image-cache" CACHE PATH
    "The image test's cache (debootstrap tarball, podman storage); the environment's wins")
if(PYTHON3_DEPLOY AND TARGET slackemu)
  add_test(NAME image COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/image_test.sh ${CMAKE_SOURCE_DIR}
                              $<TARGET_FILE:slackemu> ${INCIDENTD_IMAGE_CACHE})
  set_tests_properties(image PROPERTIES TIMEOUT 1200 LABELS image SKIP_RETURN_CODE 77)
endif()
