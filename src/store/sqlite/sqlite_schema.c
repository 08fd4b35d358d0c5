/* The SQLite schema as a list of migrations. PRAGMA user_version is the number of migrations
 * applied; each one runs in its own transaction together with the bump of that number, so a
 * crash leaves the schema at a step boundary and re-running is always safe. Append new steps;
 * never edit a released one. */
#include <stdio.h>

#include "lib/errors.h"
#include "lib/log.h"
#include "store/sqlite/sqlite_impl.h"

static const char *const migrations[] = {
    /* 1: the initial schema. Every record of an organization carries organization_id and has it
     * leading its primary key and indexes, so that every lookup is scoped and the data can be
     * sharded by organization. Times are INTEGER ms since the epoch; flags are 0/1. */
    "CREATE TABLE meta ("
    "  key TEXT PRIMARY KEY,"
    "  value TEXT NOT NULL"
    ") WITHOUT ROWID;"

    "CREATE TABLE organizations ("
    "  id TEXT PRIMARY KEY,"
    "  name TEXT NOT NULL,"
    "  phone_number TEXT,"
    "  address TEXT,"
    "  timezone TEXT NOT NULL,"
    "  default_country TEXT NOT NULL,"
    "  created_at INTEGER NOT NULL,"
    "  updated_at INTEGER NOT NULL"
    ");"

    /* Users are found by id, email and key hash across the installation (authentication);
     * organization_id is NULL for a SUPERADMIN. */
    "CREATE TABLE users ("
    "  id TEXT PRIMARY KEY,"
    "  organization_id TEXT REFERENCES organizations (id),"
    "  email TEXT NOT NULL UNIQUE,"
    "  full_name TEXT NOT NULL,"
    "  password_hash TEXT NOT NULL,"
    "  phone_number TEXT,"
    "  designation TEXT,"
    "  sinch_phone_number TEXT,"
    "  role TEXT NOT NULL,"
    "  login_disabled INTEGER NOT NULL DEFAULT 0,"
    "  token_version INTEGER NOT NULL DEFAULT 0,"
    "  api_key_hash TEXT UNIQUE,"
    "  created_at INTEGER NOT NULL,"
    "  updated_at INTEGER NOT NULL"
    ");"
    "CREATE INDEX users_by_org ON users (organization_id, created_at, id);"
    "CREATE INDEX users_by_role ON users (role);"
    "CREATE INDEX users_by_sinch ON users (organization_id, sinch_phone_number)"
    "  WHERE sinch_phone_number IS NOT NULL;"

    "CREATE TABLE org_phone_numbers ("
    "  organization_id TEXT NOT NULL REFERENCES organizations (id),"
    "  e164 TEXT NOT NULL,"
    "  provider TEXT NOT NULL,"
    "  target_user_id TEXT,"
    "  is_default INTEGER NOT NULL,"
    "  is_inbound_enabled INTEGER NOT NULL,"
    "  created_at INTEGER NOT NULL,"
    "  PRIMARY KEY (organization_id, e164)"
    ") WITHOUT ROWID;"

    "CREATE TABLE pipelines ("
    "  organization_id TEXT NOT NULL REFERENCES organizations (id),"
    "  id TEXT NOT NULL,"
    "  name TEXT NOT NULL,"
    "  description TEXT,"
    "  type TEXT NOT NULL,"
    "  is_default INTEGER NOT NULL,"
    "  is_active INTEGER NOT NULL,"
    "  created_by TEXT,"
    "  updated_by TEXT,"
    "  created_at INTEGER NOT NULL,"
    "  updated_at INTEGER NOT NULL,"
    "  PRIMARY KEY (organization_id, id),"
    "  UNIQUE (organization_id, type, name)"
    ");"
    /* Exactly one default per organization and type: moving the flag clears the old one first. */
    "CREATE UNIQUE INDEX pipelines_one_default ON pipelines (organization_id, type) WHERE is_default;"

    "CREATE TABLE pipeline_stages ("
    "  organization_id TEXT NOT NULL,"
    "  id TEXT NOT NULL,"
    "  pipeline_id TEXT NOT NULL,"
    "  name TEXT NOT NULL,"
    "  color TEXT,"
    "  position INTEGER NOT NULL,"
    "  is_active INTEGER NOT NULL,"
    "  PRIMARY KEY (organization_id, id),"
    "  FOREIGN KEY (organization_id, pipeline_id) REFERENCES pipelines (organization_id, id)"
    "    ON DELETE CASCADE"
    ");"
    "CREATE INDEX pipeline_stages_by_pipeline ON pipeline_stages"
    "  (organization_id, pipeline_id, position, id);"

    /* A contact sits on a stage of a pipeline of its own organization; the foreign keys keep a
     * pipeline or stage from going away under its contacts. */
    "CREATE TABLE contacts ("
    "  organization_id TEXT NOT NULL REFERENCES organizations (id),"
    "  id TEXT NOT NULL,"
    "  user_id TEXT NOT NULL,"
    "  created_by TEXT NOT NULL,"
    "  first_name TEXT,"
    "  last_name TEXT,"
    "  status TEXT NOT NULL,"
    "  process TEXT,"
    "  source TEXT,"
    "  pipeline_id TEXT NOT NULL,"
    "  stage_id TEXT NOT NULL,"
    "  created_at INTEGER NOT NULL,"
    "  updated_at INTEGER NOT NULL,"
    "  version INTEGER NOT NULL DEFAULT 0,"
    "  PRIMARY KEY (organization_id, id),"
    "  FOREIGN KEY (organization_id, pipeline_id) REFERENCES pipelines (organization_id, id),"
    "  FOREIGN KEY (organization_id, stage_id) REFERENCES pipeline_stages (organization_id, id)"
    ");"
    "CREATE INDEX contacts_by_created ON contacts (organization_id, created_at DESC, id DESC);"
    "CREATE INDEX contacts_by_pipeline ON contacts (organization_id, pipeline_id);"
    "CREATE INDEX contacts_by_stage ON contacts (organization_id, stage_id);"
    "CREATE INDEX contacts_by_owner ON contacts (organization_id, user_id);"

    /* The primary key IS the rule "a number belongs to at most one contact of the org", across
     * primary and secondary slots; its violation is phone_taken. */
    "CREATE TABLE contact_phones ("
    "  organization_id TEXT NOT NULL,"
    "  e164 TEXT NOT NULL,"
    "  contact_id TEXT NOT NULL,"
    "  is_secondary INTEGER NOT NULL,"
    "  is_primary INTEGER NOT NULL,"
    "  position INTEGER NOT NULL,"
    "  PRIMARY KEY (organization_id, e164),"
    "  FOREIGN KEY (organization_id, contact_id) REFERENCES contacts (organization_id, id)"
    "    ON DELETE CASCADE"
    ") WITHOUT ROWID;"
    "CREATE INDEX contact_phones_by_contact ON contact_phones"
    "  (organization_id, contact_id, is_secondary, position);"

    "CREATE TABLE contact_emails ("
    "  organization_id TEXT NOT NULL,"
    "  contact_id TEXT NOT NULL,"
    "  position INTEGER NOT NULL,"
    "  value TEXT NOT NULL,"
    "  is_primary INTEGER NOT NULL,"
    "  PRIMARY KEY (organization_id, contact_id, position),"
    "  FOREIGN KEY (organization_id, contact_id) REFERENCES contacts (organization_id, id)"
    "    ON DELETE CASCADE"
    ") WITHOUT ROWID;"
    "CREATE INDEX contact_emails_by_value ON contact_emails (organization_id, value);"

    "CREATE TABLE contact_assignees ("
    "  organization_id TEXT NOT NULL,"
    "  contact_id TEXT NOT NULL,"
    "  position INTEGER NOT NULL,"
    "  user_id TEXT NOT NULL,"
    "  PRIMARY KEY (organization_id, contact_id, position),"
    "  FOREIGN KEY (organization_id, contact_id) REFERENCES contacts (organization_id, id)"
    "    ON DELETE CASCADE"
    ") WITHOUT ROWID;"
    "CREATE INDEX contact_assignees_by_user ON contact_assignees (organization_id, user_id);"

    /* The event log outlives the contacts it names (CONTACT_DELETE), so no foreign key. */
    "CREATE TABLE event_logs ("
    "  organization_id TEXT NOT NULL,"
    "  id TEXT NOT NULL,"
    "  user_id TEXT,"
    "  contact_id TEXT,"
    "  type TEXT NOT NULL,"
    "  source TEXT NOT NULL,"
    "  changes TEXT,"
    "  created_at INTEGER NOT NULL,"
    "  PRIMARY KEY (organization_id, id)"
    ");"
    "CREATE INDEX event_logs_by_created ON event_logs (organization_id, created_at DESC, id DESC);"
    "CREATE INDEX event_logs_by_user ON event_logs (organization_id, user_id, created_at DESC, id DESC);"
    "CREATE INDEX event_logs_by_contact ON event_logs"
    "  (organization_id, contact_id, created_at DESC, id DESC);"

    /* The durable event stream: seq is the SSE id, never reused (AUTOINCREMENT). */
    "CREATE TABLE events ("
    "  seq INTEGER PRIMARY KEY AUTOINCREMENT,"
    "  organization_id TEXT NOT NULL,"
    "  name TEXT NOT NULL,"
    "  payload TEXT NOT NULL,"
    "  created_at INTEGER NOT NULL"
    ");"
    "CREATE INDEX events_by_org ON events (organization_id, seq);",

    /* 2: contact search, list indexes in list order, Idempotency-Key records. */

    /* The derived indexes of contacts (see sqlite_sql.h and sq_contact_index_sync). contacts is
     * keyed by text and its implicit rowid may change on VACUUM, so the search index keys its
     * documents by rid, a stable number per contact kept here with the contact's created_at. */
    "CREATE TABLE contact_search_rows ("
    "  rid INTEGER PRIMARY KEY,"
    "  organization_id TEXT NOT NULL,"
    "  contact_id TEXT NOT NULL,"
    "  created_at INTEGER NOT NULL,"
    "  UNIQUE (organization_id, contact_id)"
    ");"
    /* Trigrams make any substring of 3 or more characters an index lookup, case-insensitively.
     * The index is installation-wide: a query keeps its org's documents through
     * contact_search_rows. */
    "CREATE VIRTUAL TABLE contact_search USING fts5("
    "  words, digits, tokenize = 'trigram', columnsize = 0"
    ");"
    /* A user's contacts in list order: "my" contacts and a SALES_REP's are an index range. */
    "CREATE TABLE contact_access ("
    "  organization_id TEXT NOT NULL,"
    "  user_id TEXT NOT NULL,"
    "  created_at INTEGER NOT NULL,"
    "  contact_id TEXT NOT NULL,"
    "  mine INTEGER NOT NULL,"
    "  PRIMARY KEY (organization_id, user_id, created_at, contact_id)"
    ") WITHOUT ROWID;"
    "CREATE INDEX contact_access_by_contact ON contact_access (organization_id, contact_id);"
    /* Writes rebuild a contact's entries explicitly; a delete, however it happens, drops them. */
    "CREATE TRIGGER contacts_index_delete AFTER DELETE ON contacts BEGIN"
    "  DELETE FROM contact_search WHERE rowid = (SELECT rid FROM contact_search_rows"
    "    WHERE organization_id = old.organization_id AND contact_id = old.id);"
    "  DELETE FROM contact_search_rows"
    "    WHERE organization_id = old.organization_id AND contact_id = old.id;"
    "  DELETE FROM contact_access"
    "    WHERE organization_id = old.organization_id AND contact_id = old.id;"
    "END;"
    SQ_SEARCH_ROWS_INSERT("1 ORDER BY c.created_at, c.id") ";"
    SQ_SEARCH_INSERT("1") ";"
    SQ_ACCESS_INSERT("1", "1") ";"

    /* Lists read an index in list order (newest first, by scanning it backwards): no sort, and
     * a count reads only the index. Ascending, because contacts arrive in created_at order: an
     * index whose new keys go to its left edge splits there and stays half full. */
    "DROP INDEX contacts_by_created;"
    "DROP INDEX contacts_by_pipeline;"
    "DROP INDEX contacts_by_stage;"
    "DROP INDEX contacts_by_owner;"
    "CREATE INDEX contacts_by_created ON contacts (organization_id, created_at, id);"
    "CREATE INDEX contacts_by_pipeline ON contacts (organization_id, pipeline_id, created_at, id);"
    "CREATE INDEX contacts_by_stage ON contacts (organization_id, stage_id, created_at, id);"
    "CREATE INDEX contacts_by_status ON contacts (organization_id, status, created_at, id);"
    "CREATE INDEX contacts_by_owner ON contacts (organization_id, user_id, created_at, id);"

    /* The replies of POST /api/contact with an Idempotency-Key, per org and user. */
    "CREATE TABLE idempotency_keys ("
    "  organization_id TEXT NOT NULL,"
    "  user_id TEXT NOT NULL,"
    "  key TEXT NOT NULL,"
    "  request_hash TEXT NOT NULL,"
    "  status INTEGER NOT NULL,"
    "  body TEXT,"
    "  created_at INTEGER NOT NULL,"
    "  PRIMARY KEY (organization_id, user_id, key)"
    ");",

    /* 3: webhooks and their deliveries (API.md §7; docs/webhooks.md). */
    "CREATE TABLE webhooks ("
    "  organization_id TEXT NOT NULL REFERENCES organizations (id),"
    "  id TEXT NOT NULL,"
    "  url TEXT NOT NULL,"
    "  secret TEXT NOT NULL,"
    "  created_by TEXT,"
    "  created_at INTEGER NOT NULL,"
    "  PRIMARY KEY (organization_id, id)"
    ");"
    "CREATE INDEX webhooks_by_created ON webhooks (organization_id, created_at, id);"
    /* The events a webhook subscribes to, in the order given; fan-out looks up by event. */
    "CREATE TABLE webhook_events ("
    "  organization_id TEXT NOT NULL,"
    "  webhook_id TEXT NOT NULL,"
    "  position INTEGER NOT NULL,"
    "  event TEXT NOT NULL,"
    "  PRIMARY KEY (organization_id, webhook_id, position),"
    "  FOREIGN KEY (organization_id, webhook_id) REFERENCES webhooks (organization_id, id)"
    "    ON DELETE CASCADE"
    ") WITHOUT ROWID;"
    "CREATE INDEX webhook_events_by_event ON webhook_events (organization_id, event, webhook_id);"
    /* One row per attempt series; payload is the exact body POSTed. */
    "CREATE TABLE webhook_deliveries ("
    "  organization_id TEXT NOT NULL,"
    "  id TEXT NOT NULL,"
    "  webhook_id TEXT NOT NULL,"
    "  event_seq INTEGER NOT NULL,"
    "  event_name TEXT NOT NULL,"
    "  payload TEXT NOT NULL,"
    "  state TEXT NOT NULL CHECK (state IN ('pending', 'succeeded', 'failed')),"
    "  attempts INTEGER NOT NULL DEFAULT 0,"
    "  last_status INTEGER NOT NULL DEFAULT 0,"
    "  last_error TEXT,"
    "  next_attempt_at INTEGER NOT NULL,"
    "  created_at INTEGER NOT NULL,"
    "  updated_at INTEGER NOT NULL,"
    "  PRIMARY KEY (organization_id, id),"
    "  FOREIGN KEY (organization_id, webhook_id) REFERENCES webhooks (organization_id, id)"
    "    ON DELETE CASCADE"
    ");"
    /* The sender's look for due deliveries, across organizations, oldest first. */
    "CREATE INDEX webhook_deliveries_due ON webhook_deliveries (state, next_attempt_at, id);"
    /* A webhook's log, newest first by scanning backwards (ascending: rows arrive in order). */
    "CREATE INDEX webhook_deliveries_by_webhook ON webhook_deliveries"
    "  (organization_id, webhook_id, created_at, id);",

    /* 4: the number of contacts per organization, kept by triggers, so that the unfiltered
     * list's exact total is one lookup instead of a count over every contact. */
    "CREATE TABLE contact_counts ("
    "  organization_id TEXT PRIMARY KEY,"
    "  n INTEGER NOT NULL"
    ") WITHOUT ROWID;"
    "INSERT INTO contact_counts (organization_id, n)"
    "  SELECT organization_id, count(*) FROM contacts GROUP BY organization_id;"
    "CREATE TRIGGER contact_counts_insert AFTER INSERT ON contacts BEGIN"
    "  INSERT INTO contact_counts (organization_id, n) VALUES (new.organization_id, 1)"
    "    ON CONFLICT (organization_id) DO UPDATE SET n = n + 1;"
    "END;"
    "CREATE TRIGGER contact_counts_delete AFTER DELETE ON contacts BEGIN"
    "  UPDATE contact_counts SET n = n - 1 WHERE organization_id = old.organization_id;"
    "END;",

    /* 5: the event log's indexes ascending, like the contacts' (migration 2): entries arrive in
     * created_at order, and a descending index takes each new key at its left edge, where page
     * splits leave pages half full (the log's indexes were half empty space). Lists scan them
     * backwards. And idempotency records by age, for the purge of those past their 24 h. */
    "DROP INDEX event_logs_by_created;"
    "DROP INDEX event_logs_by_user;"
    "DROP INDEX event_logs_by_contact;"
    "CREATE INDEX event_logs_by_created ON event_logs (organization_id, created_at, id);"
    "CREATE INDEX event_logs_by_user ON event_logs (organization_id, user_id, created_at, id);"
    "CREATE INDEX event_logs_by_contact ON event_logs (organization_id, contact_id, created_at, id);"
    "CREATE INDEX idempotency_keys_by_age ON idempotency_keys (created_at);",

    /* 6: verification (API.md §5.6) and notes (§5.7). A contact's own verification is three
     * columns of it (isVerified is verified_at IS NOT NULL). A number's or an email's is a row
     * keyed by its value, not by its slot: a PATCH that rewrites the lists keeps the rows of the
     * values it keeps. Notes go with their contact (the foreign key cascades, and
     * sq_contact_delete deletes them first). */
    "ALTER TABLE contacts ADD COLUMN verified_at INTEGER;"
    "ALTER TABLE contacts ADD COLUMN verified_by TEXT;"
    "ALTER TABLE contacts ADD COLUMN verification_source TEXT;"
    "CREATE TABLE contact_method_verifications ("
    "  organization_id TEXT NOT NULL,"
    "  contact_id TEXT NOT NULL,"
    "  type TEXT NOT NULL CHECK (type IN ('phone', 'email')),"
    "  value TEXT NOT NULL,"
    "  verified_at INTEGER NOT NULL,"
    "  verified_by TEXT NOT NULL,"
    "  verification_source TEXT,"
    "  PRIMARY KEY (organization_id, contact_id, type, value),"
    "  FOREIGN KEY (organization_id, contact_id) REFERENCES contacts (organization_id, id)"
    "    ON DELETE CASCADE"
    ") WITHOUT ROWID;"
    "CREATE TABLE contact_notes ("
    "  organization_id TEXT NOT NULL,"
    "  id TEXT NOT NULL,"
    "  contact_id TEXT NOT NULL,"
    "  user_id TEXT NOT NULL,"
    "  note TEXT NOT NULL,"
    "  mentions TEXT NOT NULL,"
    "  attachments TEXT NOT NULL,"
    "  created_at INTEGER NOT NULL,"
    "  updated_at INTEGER NOT NULL,"
    "  PRIMARY KEY (organization_id, id),"
    "  FOREIGN KEY (organization_id, contact_id) REFERENCES contacts (organization_id, id)"
    "    ON DELETE CASCADE"
    ");"
    /* A contact's notes newest first, by scanning backwards (ascending: rows arrive in order). */
    "CREATE INDEX contact_notes_by_contact ON contact_notes (organization_id, contact_id, created_at, id);",

    /* 7: bulk jobs (API.md §5.5). A job lists the contacts it is to process as items, and each
     * batch deletes its items in the transaction that processes them: a job resumed after a
     * crash neither skips nor repeats a contact. */
    "CREATE TABLE bulk_jobs ("
    "  organization_id TEXT NOT NULL,"
    "  id TEXT NOT NULL,"
    "  user_id TEXT NOT NULL,"
    "  kind TEXT NOT NULL,"
    "  state TEXT NOT NULL CHECK (state IN ('pending', 'completed', 'failed')),"
    "  total INTEGER NOT NULL,"
    "  processed INTEGER NOT NULL,"
    "  error TEXT,"
    "  lease_until INTEGER NOT NULL,"
    "  created_at INTEGER NOT NULL,"
    "  updated_at INTEGER NOT NULL,"
    "  PRIMARY KEY (organization_id, id)"
    ");"
    "CREATE INDEX bulk_jobs_due ON bulk_jobs (state, lease_until);"
    "CREATE TABLE bulk_job_items ("
    "  organization_id TEXT NOT NULL,"
    "  job_id TEXT NOT NULL,"
    "  contact_id TEXT NOT NULL,"
    "  PRIMARY KEY (organization_id, job_id, contact_id),"
    "  FOREIGN KEY (organization_id, job_id) REFERENCES bulk_jobs (organization_id, id)"
    "    ON DELETE CASCADE"
    ") WITHOUT ROWID;",

    /* 8: CSV imports (store version 11). The rows of the file are kept with their results, so
     * that a server restarted mid-import goes on from the rows without one. */
    "CREATE TABLE imports ("
    "  organization_id TEXT NOT NULL,"
    "  id TEXT NOT NULL,"
    "  user_id TEXT NOT NULL,"
    "  state TEXT NOT NULL CHECK (state IN ('running', 'done', 'failed')),"
    "  on_duplicate TEXT NOT NULL,"
    "  dry_run INTEGER NOT NULL,"
    "  file_name TEXT,"
    "  error TEXT,"
    "  total INTEGER NOT NULL,"
    "  created_at INTEGER NOT NULL,"
    "  finished_at INTEGER,"
    "  lease_until INTEGER NOT NULL,"
    "  PRIMARY KEY (organization_id, id)"
    ");"
    "CREATE INDEX imports_running ON imports (state, lease_until);"
    "CREATE TABLE import_rows ("
    "  organization_id TEXT NOT NULL,"
    "  import_id TEXT NOT NULL,"
    "  row INTEGER NOT NULL,"
    "  after_row INTEGER NOT NULL,"
    "  input TEXT NOT NULL,"
    "  status TEXT CHECK (status IN ('created', 'updated', 'skipped', 'failed')),"
    "  contact_id TEXT,"
    "  error TEXT,"
    "  field TEXT,"
    "  value TEXT,"
    "  message TEXT,"
    "  PRIMARY KEY (organization_id, import_id, row),"
    "  FOREIGN KEY (organization_id, import_id) REFERENCES imports (organization_id, id)"
    ") WITHOUT ROWID;"
    /* the counts of an import and its rows of one status, without reading the inputs */
    "CREATE INDEX import_rows_by_status ON import_rows (organization_id, import_id, status, row);",

    /* 9: the contacts counted per stage rather than per organization, so that a board's exact
     * total of each stage is one lookup instead of a count over the stage's index (16 ms for 6
     * stages of 17,000 contacts); the organization's total is the sum of its few stages. */
    "DROP TRIGGER contact_counts_insert;"
    "DROP TRIGGER contact_counts_delete;"
    "DROP TABLE contact_counts;"
    "CREATE TABLE contact_counts ("
    "  organization_id TEXT NOT NULL,"
    "  stage_id TEXT NOT NULL,"
    "  n INTEGER NOT NULL,"
    "  PRIMARY KEY (organization_id, stage_id)"
    ") WITHOUT ROWID;"
    "INSERT INTO contact_counts (organization_id, stage_id, n)"
    "  SELECT organization_id, stage_id, count(*) FROM contacts GROUP BY organization_id, stage_id;"
    "CREATE TRIGGER contact_counts_insert AFTER INSERT ON contacts BEGIN"
    "  INSERT INTO contact_counts (organization_id, stage_id, n) VALUES (new.organization_id, new.stage_id, 1)"
    "    ON CONFLICT (organization_id, stage_id) DO UPDATE SET n = n + 1;"
    "END;"
    "CREATE TRIGGER contact_counts_delete AFTER DELETE ON contacts BEGIN"
    "  UPDATE contact_counts SET n = n - 1"
    "    WHERE organization_id = old.organization_id AND stage_id = old.stage_id;"
    "END;"
    "CREATE TRIGGER contact_counts_move AFTER UPDATE OF stage_id ON contacts"
    "  WHEN new.stage_id IS NOT old.stage_id BEGIN"
    "  UPDATE contact_counts SET n = n - 1"
    "    WHERE organization_id = old.organization_id AND stage_id = old.stage_id;"
    "  INSERT INTO contact_counts (organization_id, stage_id, n) VALUES (new.organization_id, new.stage_id, 1)"
    "    ON CONFLICT (organization_id, stage_id) DO UPDATE SET n = n + 1;"
    "END;",
};

#define NMIGRATIONS ((int)(sizeof migrations / sizeof migrations[0]))

int sq_schema_latest(void)
{
    return NMIGRATIONS;
}

int sq_schema_version(sq_conn *c, int *version)
{
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(c->db, "PRAGMA user_version", -1, &st, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_step(st);
    if (rc != SQLITE_ROW) {
        sqlite3_finalize(st);
        return sq_fail(c, "reading the schema version");
    }
    *version = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    return 0;
}

/* Applies migration `step` (0-based) unless another process got there first. */
static int apply(sq_conn *c, int step)
{
    char bump[64];
    int version, rc;
    if ((rc = sq_exec(c, SQ_BEGIN)))
        return rc;
    if ((rc = sq_schema_version(c, &version)))
        goto rollback;
    if (version > step)
        goto commit;
    if (sqlite3_exec(c->db, migrations[step], NULL, NULL, NULL) != SQLITE_OK) {
        log_error("store: schema migration %d failed: %s", step + 1, sqlite3_errmsg(c->db));
        rc = -CRM_E_UNAVAILABLE;
        goto rollback;
    }
    snprintf(bump, sizeof bump, "PRAGMA user_version = %d", step + 1);
    if (sqlite3_exec(c->db, bump, NULL, NULL, NULL) != SQLITE_OK) {
        rc = sq_fail(c, "setting the schema version");
        goto rollback;
    }
commit:
    if ((rc = sq_exec(c, SQ_COMMIT)))
        goto rollback;
    if (version <= step)
        log_info("store: schema migrated to version %d", step + 1);
    return 0;
rollback:
    if (!sqlite3_get_autocommit(c->db))
        sq_exec(c, SQ_ROLLBACK);
    return rc;
}

int sq_schema_migrate_to(sq_conn *c, int target)
{
    int version, rc;
    if (target < 0 || target > NMIGRATIONS)
        return -CRM_E_UNAVAILABLE;
    if ((rc = sq_schema_version(c, &version)))
        return rc;
    if (version > NMIGRATIONS) {
        log_error("store: the database schema is version %d, newer than this crmd knows (%d)",
                  version, NMIGRATIONS);
        return -CRM_E_UNAVAILABLE;
    }
    for (int step = version; step < target; step++)
        if ((rc = apply(c, step)))
            return rc;
    return 0;
}

int sq_schema_migrate(sq_conn *c)
{
    return sq_schema_migrate_to(c, NMIGRATIONS);
}
