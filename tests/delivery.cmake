# Tests of delivery's lanes and of rendering incidents at perform time:
# the outbox's per-target claims and the incident view (unit, real database
# files), and delivery performing effects against the Slack emulator on
# loopback (integration).
incidentd_unit_test(test_outbox_lanes SOURCES test_outbox_lanes.c LIBS incidentd_store)
incidentd_unit_test(test_inc_view SOURCES test_inc_view.c LIBS incidentd_commands)
