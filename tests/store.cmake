# Unit tests of store/: real database files under a temporary directory
# (migrations from every schema version, the queues, two connections in two threads).
incidentd_unit_test(test_store SOURCES test_store.c LIBS incidentd_store Threads::Threads)
# The workspace directory (users, user groups) as delivery syncs it and the plan reads it.
incidentd_unit_test(test_store_directory SOURCES test_store_directory.c LIBS incidentd_store)
