/* The PostgreSQL schema as a list of migrations, the same records as SQLite's (store/sqlite/
 * sqlite_schema.c) in PostgreSQL's types. crmd_schema holds the number of migrations applied;
 * each one runs in its own transaction under an advisory lock, with the bump of that number, so
 * that two servers starting at once apply it once and a crash leaves the schema at a step
 * boundary. Append new steps; never edit a released one. */
#include <stdio.h>
#include <stdlib.h>

#include "lib/errors.h"
#include "lib/log.h"
#include "store/pg/pg_impl.h"

/* Ids compare as bytes ("C"): keyset cursors order by them as SQLite does. */
#define ID "text COLLATE \"C\""

static const char *const migrations[] = {
    /* 1: the schema of SQLite's migrations 1 to 5. Every record of an organization carries
     * organization_id, leading its primary key and indexes. Times are bigint ms since the
     * epoch. */
    "CREATE EXTENSION IF NOT EXISTS pg_trgm;"
    "CREATE EXTENSION IF NOT EXISTS btree_gin;"

    "CREATE TABLE meta (key " ID " PRIMARY KEY, value text NOT NULL);"

    "CREATE TABLE organizations ("
    "  id " ID " PRIMARY KEY,"
    "  name text NOT NULL,"
    "  phone_number text,"
    "  address text,"
    "  timezone text NOT NULL,"
    "  default_country text NOT NULL,"
    "  created_at bigint NOT NULL,"
    "  updated_at bigint NOT NULL"
    ");"

    /* organization_id is NULL for a SUPERADMIN. */
    "CREATE TABLE users ("
    "  id " ID " PRIMARY KEY,"
    "  organization_id " ID " REFERENCES organizations (id),"
    "  email " ID " NOT NULL CONSTRAINT users_email_key UNIQUE,"
    "  full_name text NOT NULL,"
    "  password_hash text NOT NULL,"
    "  phone_number text,"
    "  designation text,"
    "  sinch_phone_number " ID ","
    "  role text NOT NULL,"
    "  login_disabled boolean NOT NULL DEFAULT false,"
    "  token_version bigint NOT NULL DEFAULT 0,"
    "  api_key_hash " ID " UNIQUE,"
    "  created_at bigint NOT NULL,"
    "  updated_at bigint NOT NULL"
    ");"
    "CREATE INDEX users_by_org ON users (organization_id, created_at, id);"
    "CREATE INDEX users_by_role ON users (role);"
    "CREATE INDEX users_by_sinch ON users (organization_id, sinch_phone_number)"
    "  WHERE sinch_phone_number IS NOT NULL;"

    "CREATE TABLE org_phone_numbers ("
    "  organization_id " ID " NOT NULL REFERENCES organizations (id),"
    "  e164 " ID " NOT NULL,"
    "  provider text NOT NULL,"
    "  target_user_id " ID ","
    "  is_default boolean NOT NULL,"
    "  is_inbound_enabled boolean NOT NULL,"
    "  created_at bigint NOT NULL,"
    "  CONSTRAINT org_phone_numbers_pkey PRIMARY KEY (organization_id, e164)"
    ");"

    "CREATE TABLE pipelines ("
    "  organization_id " ID " NOT NULL REFERENCES organizations (id),"
    "  id " ID " NOT NULL,"
    "  name text NOT NULL,"
    "  description text,"
    "  type text NOT NULL,"
    "  is_default boolean NOT NULL,"
    "  is_active boolean NOT NULL,"
    "  created_by " ID ","
    "  updated_by " ID ","
    "  created_at bigint NOT NULL,"
    "  updated_at bigint NOT NULL,"
    "  PRIMARY KEY (organization_id, id),"
    "  CONSTRAINT pipelines_name_key UNIQUE (organization_id, type, name)"
    ");"
    "CREATE UNIQUE INDEX pipelines_one_default ON pipelines (organization_id, type) WHERE is_default;"

    "CREATE TABLE pipeline_stages ("
    "  organization_id " ID " NOT NULL,"
    "  id " ID " NOT NULL,"
    "  pipeline_id " ID " NOT NULL,"
    "  name text NOT NULL,"
    "  color text,"
    "  position integer NOT NULL,"
    "  is_active boolean NOT NULL,"
    "  PRIMARY KEY (organization_id, id),"
    "  FOREIGN KEY (organization_id, pipeline_id) REFERENCES pipelines (organization_id, id)"
    "    ON DELETE CASCADE"
    ");"
    "CREATE INDEX pipeline_stages_by_pipeline ON pipeline_stages (organization_id, pipeline_id, position, id);"

    /* search_words and search_digits are the contact's search document (pg_sql.h), written by
     * the same statement that writes the contact's rows; trigram indexes make any substring of
     * 3 or more characters an index lookup. (Migration 5 moves them to contact_search.) */
    "CREATE TABLE contacts ("
    "  organization_id " ID " NOT NULL REFERENCES organizations (id),"
    "  id " ID " NOT NULL,"
    "  user_id " ID " NOT NULL,"
    "  created_by " ID " NOT NULL,"
    "  first_name text,"
    "  last_name text,"
    "  status text NOT NULL,"
    "  process text,"
    "  source text,"
    "  pipeline_id " ID " NOT NULL,"
    "  stage_id " ID " NOT NULL,"
    "  created_at bigint NOT NULL,"
    "  updated_at bigint NOT NULL,"
    "  version bigint NOT NULL DEFAULT 0,"
    "  search_words text NOT NULL DEFAULT '',"
    "  search_digits text NOT NULL DEFAULT '',"
    "  PRIMARY KEY (organization_id, id),"
    "  FOREIGN KEY (organization_id, pipeline_id) REFERENCES pipelines (organization_id, id),"
    "  FOREIGN KEY (organization_id, stage_id) REFERENCES pipeline_stages (organization_id, id)"
    ");"
    "CREATE INDEX contacts_by_created ON contacts (organization_id, created_at, id);"
    "CREATE INDEX contacts_by_pipeline ON contacts (organization_id, pipeline_id, created_at, id);"
    "CREATE INDEX contacts_by_stage ON contacts (organization_id, stage_id, created_at, id);"
    "CREATE INDEX contacts_by_status ON contacts (organization_id, status, created_at, id);"
    "CREATE INDEX contacts_by_owner ON contacts (organization_id, user_id, created_at, id);"
    "CREATE INDEX contacts_by_creator ON contacts (organization_id, created_by, created_at, id);"
    "CREATE INDEX contacts_search_words ON contacts USING gin (organization_id, search_words gin_trgm_ops);"
    "CREATE INDEX contacts_search_digits ON contacts USING gin (organization_id, search_digits gin_trgm_ops);"

    /* The primary key IS the rule "a number belongs to at most one contact of the org". */
    "CREATE TABLE contact_phones ("
    "  organization_id " ID " NOT NULL,"
    "  e164 " ID " NOT NULL,"
    "  contact_id " ID " NOT NULL,"
    "  is_secondary boolean NOT NULL,"
    "  is_primary boolean NOT NULL,"
    "  position integer NOT NULL,"
    "  CONSTRAINT contact_phones_pkey PRIMARY KEY (organization_id, e164),"
    "  FOREIGN KEY (organization_id, contact_id) REFERENCES contacts (organization_id, id)"
    "    ON DELETE CASCADE"
    ");"
    "CREATE INDEX contact_phones_by_contact ON contact_phones (organization_id, contact_id, is_secondary, position);"

    "CREATE TABLE contact_emails ("
    "  organization_id " ID " NOT NULL,"
    "  contact_id " ID " NOT NULL,"
    "  position integer NOT NULL,"
    "  value text NOT NULL,"
    "  is_primary boolean NOT NULL,"
    "  PRIMARY KEY (organization_id, contact_id, position),"
    "  FOREIGN KEY (organization_id, contact_id) REFERENCES contacts (organization_id, id)"
    "    ON DELETE CASCADE"
    ");"

    "CREATE TABLE contact_assignees ("
    "  organization_id " ID " NOT NULL,"
    "  contact_id " ID " NOT NULL,"
    "  position integer NOT NULL,"
    "  user_id " ID " NOT NULL,"
    "  PRIMARY KEY (organization_id, contact_id, position),"
    "  FOREIGN KEY (organization_id, contact_id) REFERENCES contacts (organization_id, id)"
    "    ON DELETE CASCADE"
    ");"
    "CREATE INDEX contact_assignees_by_user ON contact_assignees (organization_id, user_id, contact_id);"

    /* The event log outlives the contacts it names (CONTACT_DELETE), so no foreign key. */
    "CREATE TABLE event_logs ("
    "  organization_id " ID " NOT NULL,"
    "  id " ID " NOT NULL,"
    "  user_id " ID ","
    "  contact_id " ID ","
    "  type text NOT NULL,"
    "  source text NOT NULL,"
    "  changes text,"
    "  created_at bigint NOT NULL,"
    "  PRIMARY KEY (organization_id, id)"
    ");"
    "CREATE INDEX event_logs_by_created ON event_logs (organization_id, created_at, id);"
    "CREATE INDEX event_logs_by_user ON event_logs (organization_id, user_id, created_at, id);"
    "CREATE INDEX event_logs_by_contact ON event_logs (organization_id, contact_id, created_at, id);"

    /* The durable event stream. seq is the number readers see, given in commit order after the
     * commit (pg_events.c); id only orders the rows still waiting for one. */
    "CREATE TABLE events ("
    "  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,"
    "  seq bigint UNIQUE,"
    "  organization_id " ID " NOT NULL,"
    "  name text NOT NULL,"
    "  payload text NOT NULL,"
    "  created_at bigint NOT NULL"
    ");"
    "CREATE INDEX events_by_org ON events (organization_id, seq);"
    "CREATE INDEX events_unnumbered ON events (id) WHERE seq IS NULL;"

    "CREATE TABLE idempotency_keys ("
    "  organization_id " ID " NOT NULL,"
    "  user_id " ID " NOT NULL,"
    "  key text NOT NULL,"
    "  request_hash text NOT NULL,"
    "  status integer NOT NULL,"
    "  body text,"
    "  created_at bigint NOT NULL,"
    "  PRIMARY KEY (organization_id, user_id, key)"
    ");"
    "CREATE INDEX idempotency_keys_by_age ON idempotency_keys (created_at);"

    "CREATE TABLE webhooks ("
    "  organization_id " ID " NOT NULL REFERENCES organizations (id),"
    "  id " ID " NOT NULL,"
    "  url text NOT NULL,"
    "  secret text NOT NULL,"
    "  created_by " ID ","
    "  created_at bigint NOT NULL,"
    "  PRIMARY KEY (organization_id, id)"
    ");"
    "CREATE INDEX webhooks_by_created ON webhooks (organization_id, created_at, id);"
    "CREATE TABLE webhook_events ("
    "  organization_id " ID " NOT NULL,"
    "  webhook_id " ID " NOT NULL,"
    "  position integer NOT NULL,"
    "  event text NOT NULL,"
    "  PRIMARY KEY (organization_id, webhook_id, position),"
    "  FOREIGN KEY (organization_id, webhook_id) REFERENCES webhooks (organization_id, id)"
    "    ON DELETE CASCADE"
    ");"
    "CREATE INDEX webhook_events_by_event ON webhook_events (organization_id, event, webhook_id);"
    "CREATE TABLE webhook_deliveries ("
    "  organization_id " ID " NOT NULL,"
    "  id " ID " NOT NULL,"
    "  webhook_id " ID " NOT NULL,"
    "  event_seq bigint NOT NULL,"
    "  event_name text NOT NULL,"
    "  payload text NOT NULL,"
    "  state text NOT NULL CHECK (state IN ('pending', 'succeeded', 'failed')),"
    "  attempts integer NOT NULL DEFAULT 0,"
    "  last_status integer NOT NULL DEFAULT 0,"
    "  last_error text,"
    "  next_attempt_at bigint NOT NULL,"
    "  created_at bigint NOT NULL,"
    "  updated_at bigint NOT NULL,"
    "  PRIMARY KEY (organization_id, id),"
    "  FOREIGN KEY (organization_id, webhook_id) REFERENCES webhooks (organization_id, id)"
    "    ON DELETE CASCADE"
    ");"
    "CREATE INDEX webhook_deliveries_due ON webhook_deliveries (state, next_attempt_at, id);"
    "CREATE INDEX webhook_deliveries_by_webhook ON webhook_deliveries (organization_id, webhook_id, created_at, id);",

    /* 2: verification and notes, as SQLite's migration 6 (the same tables, columns and keys). */
    "ALTER TABLE contacts ADD COLUMN verified_at bigint,"
    "  ADD COLUMN verified_by " ID ","
    "  ADD COLUMN verification_source text;"
    "CREATE TABLE contact_method_verifications ("
    "  organization_id " ID " NOT NULL,"
    "  contact_id " ID " NOT NULL,"
    "  type text NOT NULL CHECK (type IN ('phone', 'email')),"
    "  value " ID " NOT NULL,"
    "  verified_at bigint NOT NULL,"
    "  verified_by " ID " NOT NULL,"
    "  verification_source text,"
    "  PRIMARY KEY (organization_id, contact_id, type, value),"
    "  FOREIGN KEY (organization_id, contact_id) REFERENCES contacts (organization_id, id)"
    "    ON DELETE CASCADE"
    ");"
    "CREATE TABLE contact_notes ("
    "  organization_id " ID " NOT NULL,"
    "  id " ID " NOT NULL,"
    "  contact_id " ID " NOT NULL,"
    "  user_id " ID " NOT NULL,"
    "  note text NOT NULL,"
    "  mentions text NOT NULL,"
    "  attachments text NOT NULL,"
    "  created_at bigint NOT NULL,"
    "  updated_at bigint NOT NULL,"
    "  PRIMARY KEY (organization_id, id),"
    "  FOREIGN KEY (organization_id, contact_id) REFERENCES contacts (organization_id, id)"
    "    ON DELETE CASCADE"
    ");"
    "CREATE INDEX contact_notes_by_contact ON contact_notes (organization_id, contact_id, created_at, id);",

    /* 3: bulk jobs, as SQLite's migration 7. */
    "CREATE TABLE bulk_jobs ("
    "  organization_id " ID " NOT NULL,"
    "  id " ID " NOT NULL,"
    "  user_id " ID " NOT NULL,"
    "  kind text NOT NULL,"
    "  state text NOT NULL CHECK (state IN ('pending', 'completed', 'failed')),"
    "  total bigint NOT NULL,"
    "  processed bigint NOT NULL,"
    "  error text,"
    "  lease_until bigint NOT NULL,"
    "  created_at bigint NOT NULL,"
    "  updated_at bigint NOT NULL,"
    "  PRIMARY KEY (organization_id, id)"
    ");"
    "CREATE INDEX bulk_jobs_due ON bulk_jobs (state, lease_until);"
    "CREATE TABLE bulk_job_items ("
    "  organization_id " ID " NOT NULL,"
    "  job_id " ID " NOT NULL,"
    "  contact_id " ID " NOT NULL,"
    "  PRIMARY KEY (organization_id, job_id, contact_id),"
    "  FOREIGN KEY (organization_id, job_id) REFERENCES bulk_jobs (organization_id, id)"
    "    ON DELETE CASCADE"
    ");",

    /* 4: CSV imports (store version 11), as SQLite's migration 8: the rows of each file with
     * their results. */
    "CREATE TABLE imports ("
    "  organization_id " ID " NOT NULL,"
    "  id " ID " NOT NULL,"
    "  user_id " ID " NOT NULL,"
    "  state text NOT NULL CHECK (state IN ('running', 'done', 'failed')),"
    "  on_duplicate text NOT NULL,"
    "  dry_run boolean NOT NULL,"
    "  file_name text,"
    "  error text,"
    "  total bigint NOT NULL,"
    "  created_at bigint NOT NULL,"
    "  finished_at bigint,"
    "  lease_until bigint NOT NULL,"
    "  PRIMARY KEY (organization_id, id)"
    ");"
    "CREATE INDEX imports_running ON imports (state, lease_until);"
    "CREATE TABLE import_rows ("
    "  organization_id " ID " NOT NULL,"
    "  import_id " ID " NOT NULL,"
    "  row bigint NOT NULL,"
    "  after_row bigint NOT NULL,"
    "  input text NOT NULL,"
    "  status text CHECK (status IN ('created', 'updated', 'skipped', 'failed')),"
    "  contact_id " ID ","
    "  error text,"
    "  field text,"
    "  value text,"
    "  message text,"
    "  PRIMARY KEY (organization_id, import_id, row),"
    "  FOREIGN KEY (organization_id, import_id) REFERENCES imports (organization_id, id)"
    ");"
    "CREATE INDEX import_rows_by_status ON import_rows (organization_id, import_id, status, row);",

    /* 5: the search document moves to a table of its own. In the contacts row, its two trigram
     * indexes made every change of stage (which cannot be a HOT update, the stage being indexed)
     * write a new GIN entry per trigram of the names, emails and numbers: half of the cost of a
     * bulk move. Here it is written only when the names, emails or numbers change. */
    "CREATE TABLE contact_search ("
    "  organization_id " ID " NOT NULL,"
    "  contact_id " ID " NOT NULL,"
    "  words text NOT NULL,"
    "  digits text NOT NULL,"
    "  PRIMARY KEY (organization_id, contact_id),"
    "  FOREIGN KEY (organization_id, contact_id) REFERENCES contacts (organization_id, id)"
    "    ON DELETE CASCADE"
    ");"
    "INSERT INTO contact_search (organization_id, contact_id, words, digits)"
    "  SELECT organization_id, id, search_words, search_digits FROM contacts;"
    "CREATE INDEX contact_search_words ON contact_search USING gin (organization_id, words gin_trgm_ops);"
    "CREATE INDEX contact_search_digits ON contact_search USING gin (organization_id, digits gin_trgm_ops);"
    "ALTER TABLE contacts DROP COLUMN search_words, DROP COLUMN search_digits;",

    /* 6: a contact's own rows lose their foreign keys to it. Each key check locked the new
     * contact's row once per number, email, assignee and search document, about half of
     * PostgreSQL's CPU per durable create. Those rows are written only with their contact, in its
     * statement or under its row lock, and deleted with it (CONTACT_DELETE after CONTACT_LOCK);
     * `crmd check` reports any that outlive it (contact_child_orphan, search_orphan). */
    "ALTER TABLE contact_phones DROP CONSTRAINT contact_phones_organization_id_contact_id_fkey;"
    "ALTER TABLE contact_emails DROP CONSTRAINT contact_emails_organization_id_contact_id_fkey;"
    "ALTER TABLE contact_assignees DROP CONSTRAINT contact_assignees_organization_id_contact_id_fkey;"
    "ALTER TABLE contact_method_verifications "
    "  DROP CONSTRAINT contact_method_verifications_organization_id_contact_id_fkey;"
    "ALTER TABLE contact_search DROP CONSTRAINT contact_search_organization_id_contact_id_fkey;",

    /* 7: the contact's row keeps a copy of its lists (numbers, emails, assignees, verified
     * methods; pg_sql.h), written with the rows they list: a read of a contact is one index
     * lookup, not five, which halves PostgreSQL's CPU per GET. */
    "ALTER TABLE contacts ADD COLUMN phone_list text, ADD COLUMN email_list text,"
    "  ADD COLUMN assignee_list text, ADD COLUMN method_list text;"
    "UPDATE contacts c SET (" PG_LIST_COLS ") = (SELECT " PG_STORED_LISTS("c") ");",

    /* 8: a contact loses its foreign keys to its organization, pipeline and stage, and the event
     * stream's number indexes leave out the events still waiting for a number.
     * Each key check locked (FOR KEY SHARE) the organization's, the pipeline's and the stage's
     * rows, which all of an organization's concurrent creates share: each lock made a new
     * MultiXact of every transaction holding it, and wrote the row. The rules the keys backed are
     * the lock protocol's (pg.c): a unit reads the pipeline it puts a contact on under the
     * organization's pipelines lock, shared; a pipeline is deleted under that lock, exclusive,
     * after its contacts are moved; organizations are never deleted, nor stages but with their
     * pipeline. A contact's writes still refuse a stage that is not one of its pipeline in its
     * organization, by a lookup that locks nothing (PG_STAGE_OF, pg_sql.h). `crmd check` reports
     * a contact whose organization, pipeline or stage is missing (org_missing, contact_stage).
     * An event is written without a number and numbered once (pg_events.c): its NULL entries in
     * the two number indexes were written, then dead, for every event. */
    "ALTER TABLE contacts DROP CONSTRAINT contacts_organization_id_fkey,"
    "  DROP CONSTRAINT contacts_organization_id_pipeline_id_fkey,"
    "  DROP CONSTRAINT contacts_organization_id_stage_id_fkey;"
    "ALTER TABLE events DROP CONSTRAINT events_seq_key;"
    "DROP INDEX events_by_org;"
    "CREATE UNIQUE INDEX events_seq ON events (seq) WHERE seq IS NOT NULL;"
    "CREATE INDEX events_by_org ON events (organization_id, seq) WHERE seq IS NOT NULL;",
};

#define NMIGRATIONS ((int)(sizeof migrations / sizeof migrations[0]))

int pg_schema_latest(void)
{
    return NMIGRATIONS;
}

/* One integer from a query without parameters (NULL: 0). */
static int query_int(pg_conn *c, const char *sql, const char *what, int64_t *out)
{
    PGresult *r = PQexec(c->db, sql);
    if (!r || PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) != 1) {
        int rc = pg_fail(c, r, what);
        PQclear(r);
        return rc;
    }
    *out = pg_col_int(r, 0, 0);
    PQclear(r);
    return 0;
}

int pg_schema_version(pg_conn *c, int *version)
{
    int64_t exists = 0, v = 0;
    int rc = query_int(c, "SELECT (to_regclass('crmd_schema') IS NOT NULL)::int", "reading the schema version",
                       &exists);
    if (rc == 0 && exists)
        rc = query_int(c, "SELECT max(version) FROM crmd_schema", "reading the schema version", &v);
    *version = (int)v;
    return rc;
}

/* Applies migration `step` (0-based) unless another process got there first. */
static int apply(pg_conn *c, int step)
{
    char bump[96];
    int version, rc;
    if ((rc = pg_exec_simple(c, "BEGIN READ WRITE", "BEGIN")) ||
        (rc = pg_exec_simple(c, "SELECT pg_advisory_xact_lock(" PG_STR(PG_CLASS_SCHEMA) ", 0)", "the schema lock")) ||
        (rc = pg_exec_simple(c, "CREATE TABLE IF NOT EXISTS crmd_schema (version integer PRIMARY KEY, "
                                "applied_at timestamptz NOT NULL DEFAULT now())", "the schema table")) ||
        (rc = pg_schema_version(c, &version)))
        goto rollback;
    if (version <= step) {
        if ((rc = pg_exec_simple(c, migrations[step], "a schema migration")))
            goto rollback;
        snprintf(bump, sizeof bump, "INSERT INTO crmd_schema (version) VALUES (%d)", step + 1);
        if ((rc = pg_exec_simple(c, bump, "setting the schema version")))
            goto rollback;
    }
    if ((rc = pg_exec_simple(c, "COMMIT", "COMMIT")))
        return rc;
    if (version <= step)
        log_info("store: schema migrated to version %d", step + 1);
    return 0;
rollback:
    if (!c->broken)
        pg_exec_simple(c, "ROLLBACK", "ROLLBACK");
    return rc;
}

int pg_schema_migrate_to(pg_conn *c, int target)
{
    int version, rc;
    if ((rc = pg_schema_version(c, &version)))
        return rc;
    if (version > NMIGRATIONS) {
        log_error("store: the database schema is version %d, newer than this crmd knows (%d)", version,
                  NMIGRATIONS);
        return -CRM_E_UNAVAILABLE;
    }
    for (int step = version; step < target && step < NMIGRATIONS; step++)
        if ((rc = apply(c, step)))
            return rc;
    return 0;
}

int pg_schema_migrate(pg_conn *c)
{
    return pg_schema_migrate_to(c, NMIGRATIONS);
}
