# Unit tests of store/: real database files under a temporary directory
# (migrations from every schema version, the queues, two connections in two threads).
incidentd_unit_test(test_store SOURCES test_store.c LIBS incidentd_store Threads::Threads)
# The workspace directory (users, user groups) as delivery syncs it and the plan reads it.
incidentd_unit_test(test_store_directory SOURCES test_store_directory.c LIBS incidentd_store)
# Online backup (store_backup.c): every row copied, a consistent copy while another
# connection writes, bad sources and destinations refused with nothing left behind.
incidentd_unit_test(test_store_backup SOURCES test_store_backup.c
                    LIBS incidentd_store Threads::Threads)
