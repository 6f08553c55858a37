/*
 * The schema of incidentd's database as an ordered list of migrations:
 * migration k (1-based) takes a database from PRAGMA user_version k-1 to k.
 * store_open() applies the missing ones in one transaction. A migration is
 * never edited once released; a change to the schema is a new entry at the
 * end. Tables are STRICT so a wrong type is an error, not a silent
 * conversion. Rebuilding a table (the 12-step ALTER procedure) would need
 * foreign_keys OFF, which store_open() does not do: add columns and tables
 * instead, or teach store_open() that first.
 *
 * Also here: the sample rows the migration tests write after each migration
 * (store_testing.h), kept next to the schema they must match.
 */
#include "store_internal.h"

/* clang-format off */
const char *const store_migrations[] = {
    /* 1: the core record of an incident: the incident, who holds which role, what happened. */
    "PRAGMA application_id = 1229865796;" /* 'INCD' */
    "CREATE TABLE meta ("
    "  key TEXT PRIMARY KEY,"
    "  value TEXT NOT NULL,"
    "  updated_at INTEGER"
    ") STRICT;"
    "CREATE TABLE incidents ("
    "  id INTEGER PRIMARY KEY,"
    "  title TEXT NOT NULL CHECK (length(title) > 0),"
    "  description TEXT NOT NULL DEFAULT '',"
    "  severity TEXT NOT NULL CHECK (severity IN ('critical', 'major', 'minor')),"
    "  status TEXT NOT NULL CHECK (status IN ('potential', 'investigating', 'identified',"
    "                                         'monitoring', 'resolved', 'postmortem', 'closed')),"
    "  breach INTEGER NOT NULL DEFAULT 0 CHECK (breach IN (0, 1)),"
    "  breach_at INTEGER,"
    "  below_threshold INTEGER NOT NULL DEFAULT 0 CHECK (below_threshold IN (0, 1)),"
    "  started_at INTEGER,"
    "  declared_at INTEGER,"
    "  identified_at INTEGER,"
    "  resolved_at INTEGER,"
    "  closed_at INTEGER,"
    "  declarer TEXT,"
    "  channel_id TEXT UNIQUE,"
    "  channel_name TEXT,"
    "  channel_private INTEGER NOT NULL DEFAULT 0 CHECK (channel_private IN (0, 1)),"
    "  control_ts TEXT,"
    "  announce_channel TEXT,"
    "  announce_ts TEXT,"
    "  call_url TEXT,"
    "  affected_users INTEGER CHECK (affected_users >= 0),"
    "  updated_at INTEGER,"
    "  version INTEGER NOT NULL DEFAULT 1"
    ") STRICT;"
    "CREATE INDEX incidents_status ON incidents(status);"
    /* Re-assignment ends the current row (ended_at) and adds one: the history stays. */
    "CREATE TABLE roles ("
    "  id INTEGER PRIMARY KEY,"
    "  incident_id INTEGER NOT NULL REFERENCES incidents(id) ON DELETE CASCADE,"
    "  role TEXT NOT NULL CHECK (role IN ('irm', 'tech', 'support', 'dpo')),"
    "  user_id TEXT NOT NULL CHECK (length(user_id) > 0),"
    "  assigned_by TEXT,"
    "  assigned_at INTEGER NOT NULL,"
    "  ended_at INTEGER,"
    "  ended_by TEXT"
    ") STRICT;"
    "CREATE UNIQUE INDEX roles_current ON roles(incident_id, role) WHERE ended_at IS NULL;"
    "CREATE INDEX roles_incident ON roles(incident_id, id);"
    "CREATE TABLE timeline ("
    "  id INTEGER PRIMARY KEY,"
    "  incident_id INTEGER NOT NULL REFERENCES incidents(id) ON DELETE CASCADE,"
    "  at INTEGER NOT NULL,"
    "  actor TEXT,"
    "  kind TEXT NOT NULL CHECK (length(kind) > 0),"
    "  text TEXT NOT NULL DEFAULT '',"
    "  public INTEGER NOT NULL DEFAULT 0 CHECK (public IN (0, 1)),"
    "  status TEXT CHECK (status IN ('potential', 'investigating', 'identified',"
    "                                'monitoring', 'resolved', 'postmortem', 'closed'))"
    ") STRICT;"
    "CREATE INDEX timeline_incident ON timeline(incident_id, at, id);",

    /* 2: the work of the plan: the nine-step checklist, follow-ups, status page components. */
    "ALTER TABLE incidents ADD COLUMN step INTEGER NOT NULL DEFAULT 1"
    "  CHECK (step BETWEEN 1 AND 9);"
    /* A row exists once a step is done or skipped. */
    "CREATE TABLE checklist ("
    "  incident_id INTEGER NOT NULL REFERENCES incidents(id) ON DELETE CASCADE,"
    "  step INTEGER NOT NULL CHECK (step BETWEEN 1 AND 9),"
    "  skipped INTEGER NOT NULL DEFAULT 0 CHECK (skipped IN (0, 1)),"
    "  done_by TEXT,"
    "  done_at INTEGER NOT NULL,"
    "  PRIMARY KEY (incident_id, step)"
    ") STRICT;"
    "CREATE TABLE followups ("
    "  incident_id INTEGER NOT NULL REFERENCES incidents(id) ON DELETE CASCADE,"
    "  n INTEGER NOT NULL CHECK (n > 0),"
    "  text TEXT NOT NULL CHECK (length(text) > 0),"
    "  owner TEXT,"
    "  due_at INTEGER,"
    "  created_by TEXT,"
    "  created_at INTEGER NOT NULL,"
    "  done_by TEXT,"
    "  done_at INTEGER,"
    "  PRIMARY KEY (incident_id, n)"
    ") STRICT;"
    "CREATE TABLE components ("
    "  id INTEGER PRIMARY KEY,"
    "  name TEXT NOT NULL UNIQUE CHECK (length(name) > 0),"
    "  description TEXT NOT NULL DEFAULT '',"
    "  position INTEGER NOT NULL DEFAULT 0,"
    "  status TEXT NOT NULL DEFAULT 'operational' CHECK (status IN ('operational',"
    "    'degraded_performance', 'partial_outage', 'major_outage', 'under_maintenance')),"
    "  updated_at INTEGER"
    ") STRICT;"
    /* Every status change of a component, for the 90-day uptime bars. */
    "CREATE TABLE component_status_log ("
    "  id INTEGER PRIMARY KEY,"
    "  component_id INTEGER NOT NULL REFERENCES components(id) ON DELETE CASCADE,"
    "  at INTEGER NOT NULL,"
    "  status TEXT NOT NULL CHECK (status IN ('operational',"
    "    'degraded_performance', 'partial_outage', 'major_outage', 'under_maintenance'))"
    ") STRICT;"
    "CREATE INDEX component_status_log_at ON component_status_log(component_id, at);"
    /* impact: the component status this incident asks for (NULL: not said). */
    "CREATE TABLE incident_components ("
    "  incident_id INTEGER NOT NULL REFERENCES incidents(id) ON DELETE CASCADE,"
    "  component_id INTEGER NOT NULL REFERENCES components(id) ON DELETE CASCADE,"
    "  impact TEXT CHECK (impact IN ('operational',"
    "    'degraded_performance', 'partial_outage', 'major_outage', 'under_maintenance')),"
    "  PRIMARY KEY (incident_id, component_id)"
    ") STRICT;"
    "CREATE INDEX incident_components_component ON incident_components(component_id);"
    /* Small per-incident facts (support checklist, breach decision...) without a migration each. */
    "CREATE TABLE incident_attrs ("
    "  incident_id INTEGER NOT NULL REFERENCES incidents(id) ON DELETE CASCADE,"
    "  key TEXT NOT NULL CHECK (length(key) > 0),"
    "  value TEXT NOT NULL,"
    "  updated_at INTEGER,"
    "  PRIMARY KEY (incident_id, key)"
    ") STRICT;",

    /* 3: the durable queues: envelopes in, effects out, reminders that survive restarts. */
    "CREATE TABLE inbox ("
    "  id INTEGER PRIMARY KEY,"
    "  envelope_id TEXT NOT NULL UNIQUE CHECK (length(envelope_id) > 0),"
    "  event_id TEXT UNIQUE CHECK (length(event_id) > 0),"
    "  type TEXT NOT NULL CHECK (length(type) > 0),"
    "  payload TEXT NOT NULL,"
    "  received_at INTEGER NOT NULL,"
    "  state TEXT NOT NULL DEFAULT 'pending'"
    "    CHECK (state IN ('pending', 'processing', 'done', 'failed')),"
    "  attempts INTEGER NOT NULL DEFAULT 0,"
    "  claimed_at INTEGER,"
    "  done_at INTEGER,"
    "  error TEXT"
    ") STRICT;"
    "CREATE INDEX inbox_state ON inbox(state, id);"
    /* target is the ordering lane: effects of one incident for one target go in id order. */
    "CREATE TABLE outbox ("
    "  id INTEGER PRIMARY KEY,"
    "  incident_id INTEGER REFERENCES incidents(id) ON DELETE CASCADE,"
    "  kind TEXT NOT NULL CHECK (length(kind) > 0),"
    "  target TEXT NOT NULL CHECK (length(target) > 0),"
    "  payload TEXT NOT NULL,"
    "  idem_key TEXT NOT NULL UNIQUE CHECK (length(idem_key) > 0),"
    "  state TEXT NOT NULL DEFAULT 'pending'"
    "    CHECK (state IN ('pending', 'sending', 'done', 'failed')),"
    "  attempts INTEGER NOT NULL DEFAULT 0,"
    "  next_attempt_at INTEGER NOT NULL,"
    "  last_attempt_at INTEGER,"
    "  last_error TEXT,"
    "  result TEXT,"
    "  created_at INTEGER NOT NULL,"
    "  done_at INTEGER"
    ") STRICT;"
    "CREATE INDEX outbox_due ON outbox(state, next_attempt_at, id);"
    "CREATE INDEX outbox_lane ON outbox(incident_id, target, id)"
    "  WHERE state IN ('pending', 'sending');"
    "CREATE INDEX outbox_incident ON outbox(incident_id, id);"
    "CREATE TABLE reminders ("
    "  id INTEGER PRIMARY KEY,"
    "  incident_id INTEGER REFERENCES incidents(id) ON DELETE CASCADE,"
    "  kind TEXT NOT NULL CHECK (length(kind) > 0),"
    "  due_at INTEGER NOT NULL,"
    "  state TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'done', 'cancelled')),"
    "  payload TEXT NOT NULL DEFAULT '{}',"
    "  created_at INTEGER NOT NULL,"
    "  done_at INTEGER"
    ") STRICT;"
    "CREATE INDEX reminders_due ON reminders(state, due_at, id);"
    "CREATE INDEX reminders_incident ON reminders(incident_id, kind) WHERE state = 'pending';",

    /* 4: the public face: slug, publication, the Atlassian mirror's id, the postmortem. */
    "ALTER TABLE incidents ADD COLUMN slug TEXT;"
    "CREATE UNIQUE INDEX incidents_slug ON incidents(slug);"
    "ALTER TABLE incidents ADD COLUMN public_title TEXT;"
    "ALTER TABLE incidents ADD COLUMN published INTEGER NOT NULL DEFAULT 0"
    "  CHECK (published IN (0, 1));"
    "ALTER TABLE incidents ADD COLUMN published_at INTEGER;"
    "ALTER TABLE incidents ADD COLUMN statuspage_id TEXT;"
    "CREATE UNIQUE INDEX incidents_statuspage_id ON incidents(statuspage_id);"
    "ALTER TABLE incidents ADD COLUMN postmortem TEXT;"
    "ALTER TABLE incidents ADD COLUMN postmortem_published_at INTEGER;"
    "CREATE INDEX incidents_published ON incidents(published_at) WHERE published = 1;",

    /*
     * 5: the workspace directory (store_directory.h): who exists, who is in a user group, and
     * when each was last synced. No foreign key from members to users: the two are synced
     * apart, and a member the user list has not caught up with is still a member.
     */
    "CREATE TABLE directory_users ("
    "  user_id TEXT PRIMARY KEY CHECK (length(user_id) > 0),"
    "  name TEXT,"
    "  deleted INTEGER NOT NULL DEFAULT 0 CHECK (deleted IN (0, 1)),"
    "  is_bot INTEGER NOT NULL DEFAULT 0 CHECK (is_bot IN (0, 1)),"
    "  is_guest INTEGER NOT NULL DEFAULT 0 CHECK (is_guest IN (0, 1)),"
    "  updated_at INTEGER NOT NULL"
    ") STRICT, WITHOUT ROWID;"
    "CREATE TABLE directory_group_members ("
    "  group_id TEXT NOT NULL CHECK (length(group_id) > 0),"
    "  user_id TEXT NOT NULL CHECK (length(user_id) > 0),"
    "  PRIMARY KEY (group_id, user_id)"
    ") STRICT, WITHOUT ROWID;"
    /* directory: 'users' or a user group id; a row exists once that directory was synced. */
    "CREATE TABLE directory_syncs ("
    "  directory TEXT PRIMARY KEY CHECK (length(directory) > 0),"
    "  synced_at INTEGER NOT NULL"
    ") STRICT;",

    /*
     * 6: a delivery lane claims its next effect by walking its own pending rows in id order,
     * and finds its next due time in next_attempt_at order, instead of sorting every lane's
     * due rows per claim under the write lock (O(backlog) per effect; see docs/benchmarks.md).
     */
    "CREATE INDEX outbox_pending_target ON outbox(target, id) WHERE state = 'pending';"
    "CREATE INDEX outbox_pending_target_due ON outbox(target, next_attempt_at)"
    "  WHERE state = 'pending';",

    /*
     * 7: an amended public postmortem is a new, dated public event: its latest amendment's
     * time, next to postmortem_published_at, which keeps the first publication's.
     */
    "ALTER TABLE incidents ADD COLUMN postmortem_updated_at INTEGER;",

    /*
     * 8: refreshes of a view (control message, topic, announcement) are merged into a pending
     * one of the same incident and kind, and yield to other work in their lane, so a burst of
     * changes costs one call per view, not one per change (issue 15).
     */
    ("ALTER TABLE outbox ADD COLUMN refresh INTEGER NOT NULL DEFAULT 0 CHECK (refresh IN (0, 1));"
     "CREATE INDEX outbox_pending_incident ON outbox(incident_id, kind) WHERE state = 'pending';"),
};

const int store_migration_count = (int)(sizeof(store_migrations) / sizeof(store_migrations[0]));

/* Written by store_testing_create() after migration k; store_testing.h lists what they hold. */
const char *const store_migration_seeds[] = {
    "INSERT INTO meta (key, value, updated_at) VALUES ('seed', 'v1', 1700000000000);"
    "INSERT INTO incidents (id, title, description, severity, status, started_at, declared_at,"
    "  declarer, channel_id, channel_name, affected_users, updated_at, version)"
    "  VALUES (1, 'Seeded checkout outage', 'from schema v1', 'major', 'investigating',"
    "  1700000000000, 1700000060000, 'U0SEED', 'C0SEED', 'inc-seed', 12, 1700000060000, 3);"
    "INSERT INTO roles (incident_id, role, user_id, assigned_by, assigned_at)"
    "  VALUES (1, 'irm', 'U0IRM', 'U0SEED', 1700000070000);"
    "INSERT INTO timeline (incident_id, at, actor, kind, text, public, status) VALUES"
    "  (1, 1700000060000, 'U0SEED', 'declare', 'Declared', 0, 'investigating'),"
    "  (1, 1700000080000, 'U0IRM', 'note', 'Looking at the database', 1, 'investigating');",

    "UPDATE incidents SET step = 4 WHERE id = 1;"
    "INSERT INTO checklist (incident_id, step, skipped, done_by, done_at)"
    "  VALUES (1, 1, 0, 'U0IRM', 1700000090000);"
    "INSERT INTO followups (incident_id, n, text, owner, created_by, created_at)"
    "  VALUES (1, 1, 'Add an alert on checkout errors', 'U0IRM', 'U0IRM', 1700000100000);"
    "INSERT INTO components (id, name, description, position, status, updated_at)"
    "  VALUES (1, 'API', 'Public API', 1, 'partial_outage', 1700000100000);"
    "INSERT INTO component_status_log (component_id, at, status)"
    "  VALUES (1, 1700000100000, 'partial_outage');"
    "INSERT INTO incident_components (incident_id, component_id, impact)"
    "  VALUES (1, 1, 'partial_outage');"
    "INSERT INTO incident_attrs (incident_id, key, value, updated_at)"
    "  VALUES (1, 'support.plan_ready', 'yes', 1700000100000);",

    "INSERT INTO inbox (envelope_id, event_id, type, payload, received_at)"
    "  VALUES ('env-seed', 'Ev-seed', 'events_api', '{\"seed\":3}', 1700000110000);"
    "INSERT INTO outbox (incident_id, kind, target, payload, idem_key, next_attempt_at,"
    "  created_at) VALUES (1, 'chat.postMessage', 'slack', '{\"seed\":3}', 'seed-1',"
    "  1700000110000, 1700000110000);"
    "INSERT INTO reminders (incident_id, kind, due_at, payload, created_at)"
    "  VALUES (1, 'postmortem_due', 1700086400000, '{}', 1700000110000);",

    /* Parenthesised: clang reads two literals in a row here as a missing comma. */
    ("UPDATE incidents SET slug = 'seeded-checkout-outage', published = 1,"
     "  published_at = 1700000120000, statuspage_id = 'sp-seed' WHERE id = 1;"),

    "INSERT INTO directory_users (user_id, name, deleted, is_bot, is_guest, updated_at) VALUES"
    "  ('U0IRM', 'irm', 0, 0, 0, 1700000130000),"
    "  ('U0GONE', 'gone', 1, 0, 0, 1700000130000);"
    "INSERT INTO directory_group_members (group_id, user_id) VALUES ('S0SEED', 'U0IRM');"
    "INSERT INTO directory_syncs (directory, synced_at) VALUES"
    "  ('users', 1700000130000), ('S0SEED', 1700000140000);",

    "INSERT INTO outbox (incident_id, kind, target, payload, idem_key, next_attempt_at,"
    "  created_at) VALUES (1, 'statuspage.update', 'statuspage', '{\"seed\":6}', 'seed-6',"
    "  1700000150000, 1700000150000);",

    "UPDATE incidents SET postmortem = 'Seeded postmortem', postmortem_published_at ="
    "  1700000160000, postmortem_updated_at = 1700000170000 WHERE id = 1;",

    ("INSERT INTO outbox (incident_id, kind, target, payload, idem_key, next_attempt_at,"
     "  created_at, refresh) VALUES (1, 'incident.topic', 'slack', '{}', 'seed-8',"
     "  1700000180000, 1700000180000, 1);"),
};
/* clang-format on */

/* A new migration needs its seed: the sizes must agree. */
_Static_assert(sizeof(store_migration_seeds) == sizeof(store_migrations),
               "one test seed per migration");
