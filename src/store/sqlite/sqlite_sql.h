/* Every SQL statement the SQLite backend prepares, in one place: an X-macro list of
 * (id, text) that generates the statement enum and the text table. Only bound parameters,
 * and every statement on an organization's records filters on organization_id (users by id,
 * email or key hash are the installation-wide lookups that authentication needs). */
#ifndef CRM_STORE_SQLITE_SQL_H
#define CRM_STORE_SQLITE_SQL_H

#define SQ_ORG_COLS "id, name, phone_number, address, timezone, default_country, created_at, updated_at"
#define SQ_USER_COLS                                                                              \
    "id, organization_id, email, full_name, password_hash, phone_number, designation, "           \
    "sinch_phone_number, role, login_disabled, token_version, created_at, updated_at"
#define SQ_PIPELINE_COLS                                                                          \
    "id, organization_id, name, description, type, is_default, is_active, created_by, "           \
    "updated_by, created_at, updated_at"
#define SQ_CONTACT_COLS_OF(t)                                                                     \
    t "id, " t "organization_id, " t "user_id, " t "created_by, " t "first_name, " t "last_name, " \
    t "status, " t "process, " t "source, " t "pipeline_id, " t "stage_id, " t "created_at, "     \
    t "updated_at, " t "version, " t "verified_at, " t "verified_by, " t "verification_source"
#define SQ_CONTACT_COLS SQ_CONTACT_COLS_OF("")
#define SQ_CONTACT_NCOLS 17
#define SQ_IMPORT_COLS "organization_id, id, user_id, state, on_duplicate, dry_run, file_name, error, total, " \
                       "created_at, finished_at, lease_until"
#define SQ_IMPORT_ROW_COLS "row, after_row, input, status, contact_id, error, field, value, message"
#define SQ_NOTE_COLS "id, organization_id, contact_id, user_id, note, mentions, attachments, created_at, updated_at"
#define SQ_JOB_COLS                                                                               \
    "organization_id, id, user_id, kind, state, total, processed, error, lease_until, created_at, updated_at"
#define SQ_EVENT_LOG_COLS "id, organization_id, user_id, contact_id, type, source, changes, created_at"

/* The event-log filters: ?1 org, ?2 user, ?3 contact, ?4 since, ?5 limit, ?6 offset. Each
 * combination of user/contact has its own statement so that the planner can use its index. */
#define SQ_EVENT_LOG_LIST(where) \
    "SELECT " SQ_EVENT_LOG_COLS " FROM event_logs WHERE organization_id = ?1" where \
    " AND created_at >= ?4 ORDER BY created_at DESC, id DESC LIMIT ?5 OFFSET ?6"
#define SQ_EVENT_LOG_COUNT(where) \
    "SELECT count(*) FROM event_logs WHERE organization_id = ?1" where " AND created_at >= ?4"
#define SQ_BY_USER " AND user_id = ?2"
#define SQ_BY_CONTACT " AND contact_id = ?3"

/* The derived indexes of a contact, rebuilt from its rows by sq_contact_index_sync (and built
 * for every contact by migration 2; changing these needs a migration that rebuilds them):
 *
 * contact_search_rows: the contact's stable row number in contact_search, and its created_at.
 * contact_search: `words` is "first last" (or the one that is set) and every email lower-cased,
 *   one per line; `digits` is the digits of every number, primary and secondary, separated by
 *   spaces. A trigram phrase never spans a newline or a space unless the query holds one, so a
 *   digits query cannot match across two numbers.
 * contact_access: one row per user who owns (userId), created or is assigned the contact, in
 *   created_at order; `mine` when the user owns or is assigned it (ownerFilter "my" or an id). */
#define SQ_SEARCH_WORDS                                                                           \
    "coalesce(c.first_name || ' ' || c.last_name, c.first_name, c.last_name, '') || "             \
    "coalesce(char(10) || (SELECT group_concat(lower(e.value), char(10)) FROM contact_emails e "  \
    "WHERE e.organization_id = c.organization_id AND e.contact_id = c.id), '')"
#define SQ_SEARCH_DIGITS                                                                          \
    "coalesce((SELECT group_concat(replace(p.e164, '+', ''), ' ') FROM contact_phones p "         \
    "WHERE p.organization_id = c.organization_id AND p.contact_id = c.id), '')"
#define SQ_SEARCH_ROWS_INSERT(where)                                                              \
    "INSERT INTO contact_search_rows (organization_id, contact_id, created_at) "                  \
    "SELECT c.organization_id, c.id, c.created_at FROM contacts c WHERE " where
#define SQ_SEARCH_INSERT(where)                                                                   \
    "INSERT INTO contact_search (rowid, words, digits) SELECT m.rid, " SQ_SEARCH_WORDS ", "       \
    SQ_SEARCH_DIGITS " FROM contact_search_rows m "                                              \
    "JOIN contacts c ON c.organization_id = m.organization_id AND c.id = m.contact_id WHERE " where
#define SQ_ACCESS_INSERT(where_c, where_a)                                                        \
    "INSERT INTO contact_access (organization_id, user_id, created_at, contact_id, mine) "        \
    SQ_ACCESS_ROWS(where_c, where_a)
/* The rows of contact_access for the contacts of where_c (and their assignees, where_a); also
 * what `crmd check` compares the table with (sqlite_check.c). */
#define SQ_ACCESS_ROWS(where_c, where_a)                                                          \
    "SELECT organization_id, user_id, created_at, contact_id, max(mine) FROM ("                   \
    "SELECT c.organization_id, c.user_id, c.created_at, c.id AS contact_id, 1 AS mine "           \
    "FROM contacts c WHERE " where_c " "                                                          \
    "UNION ALL SELECT c.organization_id, c.created_by, c.created_at, c.id, 0 "                    \
    "FROM contacts c WHERE " where_c " "                                                          \
    "UNION ALL SELECT c.organization_id, a.user_id, c.created_at, c.id, 1 FROM contact_assignees a " \
    "JOIN contacts c ON c.organization_id = a.organization_id AND c.id = a.contact_id "           \
    "WHERE " where_a ") GROUP BY organization_id, user_id, created_at, contact_id"
/* The writer's queue of search documents to (re)build when its group of units commits: FTS5
 * writes out its pending terms at every SAVEPOINT and RELEASE, so indexing inside each unit made
 * one index segment per contact (and merges of them). Rows are added in the unit's savepoint,
 * so a unit that rolls back takes its rows with it. stale: an older document must go first. */
#define SQ_SEARCH_PENDING_CREATE                                                                  \
    "CREATE TEMP TABLE IF NOT EXISTS search_pending (rid INTEGER PRIMARY KEY, stale INTEGER NOT NULL)"
#define SQ_SEARCH_PENDING_ROWS "SELECT rid FROM temp.search_pending"
#define SQ_ONE_CONTACT "c.organization_id = ?1 AND c.id = ?2"
#define SQ_ONE_CONTACT_ASSIGNEES "a.organization_id = ?1 AND a.contact_id = ?2"

/* contact_list is assembled from these fixed fragments, chosen by which criteria are set
 * (sqlite_contact_list.c); every value is a parameter with a fixed number in every variant:
 * ?1 org, ?2 search, ?3 search digits, ?4 status, ?5 stage, ?6 pipeline, ?7 source, ?8 owner,
 * ?9 visible_to, ?10 created_from, ?11 created_to, ?12 after created_at, ?13 after id,
 * ?14 limit, ?15 offset, ?16 the users of CONTACT_OWNER_AMONG as a JSON array.
 *
 * One source of (created_at, contact id) drives each query, outermost (CROSS JOIN):
 * - a search: the union of its parts' matches, each a set of (contact_id, created_at) of the
 *   org: an FTS5 lookup for a part of 3 characters or more, a scan of the org otherwise;
 * - else the contact_access rows of the owner, or else of the visible_to user: an index in list
 *   order (also when the search has a part under 3 characters, which then filters each row);
 * - else the org's contacts, where the planner picks an index in list order (by created_at,
 *   stage, status...).
 * The dates and the keyset bound the driver's columns; the rest filter the contact row. */
#define SQ_CL_SELECT "SELECT " SQ_CONTACT_COLS_OF("c.")
#define SQ_CL_COUNT "SELECT count(*)"
/* The parts of a search as sets. The FTS5 query is one phrase, quoted from the bound text (a
 * quote doubled), in one column. Under 3 characters there is no trigram: LIKE over "first
 * last" and the emails (ASCII-only case folding, as LIKE does), instr over the numbers. */
#define SQ_CL_FTS_FROM(column, param)                                                             \
    " FROM contact_search CROSS JOIN contact_search_rows m ON m.rid = contact_search.rowid "      \
    "WHERE contact_search MATCH ('" column " : \"' || replace(" param ", '\"', '\"\"') || '\"') " \
    "AND m.organization_id = ?1"
#define SQ_CL_SEARCH_SET "SELECT m.contact_id, m.created_at" SQ_CL_FTS_FROM("words", "?2")
#define SQ_CL_DIGITS_SET "SELECT m.contact_id, m.created_at" SQ_CL_FTS_FROM("digits", "?3")
#define SQ_CL_LIKE_PATTERN                                                                        \
    "('%' || replace(replace(replace(?2, '\\', '\\\\'), '%', '\\%'), '_', '\\_') || '%')"
#define SQ_CL_NAME_LIKE(t)                                                                        \
    "coalesce(" t ".first_name || ' ' || " t ".last_name, " t ".first_name, " t ".last_name) "    \
    "LIKE " SQ_CL_LIKE_PATTERN " ESCAPE '\\'"
#define SQ_CL_EMAIL_LIKE "e.value LIKE " SQ_CL_LIKE_PATTERN " ESCAPE '\\'"
#define SQ_CL_LIKE_SET                                                                            \
    "SELECT s.id AS contact_id, s.created_at FROM contacts s WHERE s.organization_id = ?1 AND "   \
    SQ_CL_NAME_LIKE("s") " UNION SELECT s.id, s.created_at FROM contact_emails e "                \
    "CROSS JOIN contacts s ON s.organization_id = ?1 AND s.id = e.contact_id "                    \
    "WHERE e.organization_id = ?1 AND " SQ_CL_EMAIL_LIKE
#define SQ_CL_SCAN_SET                                                                            \
    "SELECT DISTINCT s.id AS contact_id, s.created_at FROM contact_phones p "                     \
    "CROSS JOIN contacts s ON s.organization_id = ?1 AND s.id = p.contact_id "                    \
    "WHERE p.organization_id = ?1 AND instr(p.e164, ?3) > 0"
#define SQ_CL_SET_OR " UNION "
/* The set bounded by the dates and the keyset (on k). With nothing else to check, the page is
 * cut from the set alone (and counts it: hit.total, unless a keyset bounds it), and only the
 * page's contact rows are read; otherwise every match's row is. */
#define SQ_CL_KEYS_OPEN "SELECT k.contact_id, k.created_at FROM ("
#define SQ_CL_KEYS_CLOSE ") AS k WHERE 1"
#define SQ_CL_PAGE_OPEN ", hit.total FROM (SELECT k.contact_id, k.created_at, count(*) OVER () AS total FROM ("
#define SQ_CL_PAGE_CLOSE SQ_CL_ORDER("k", "contact_id") ") AS hit"
#define SQ_CL_HITS_OPEN " FROM ("
#define SQ_CL_HITS_CLOSE ") AS hit"
#define SQ_CL_JOIN_HIT " CROSS JOIN contacts c WHERE c.organization_id = ?1 AND c.id = hit.contact_id"
#define SQ_CL_REORDER " ORDER BY c.created_at DESC, c.id DESC"
/* The owner's ("my" or a user id) and the visible_to user's contacts: their contact_access
 * rows drive, or else filter each row. */
#define SQ_CL_ACCESS_ROWS " FROM contact_access x WHERE x.organization_id = ?1"
#define SQ_CL_ACCESS_CONTACTS                                                                     \
    " FROM contact_access x CROSS JOIN contacts c WHERE x.organization_id = ?1 "                  \
    "AND c.organization_id = ?1 AND c.id = x.contact_id"
#define SQ_CL_ACCESS_OWNER " AND x.user_id = ?8 AND x.mine"
#define SQ_CL_ACCESS_VISIBLE " AND x.user_id = ?9"
#define SQ_CL_OWNER                                                                               \
    " AND EXISTS (SELECT 1 FROM contact_access o WHERE o.organization_id = ?1 AND o.user_id = ?8 " \
    "AND o.created_at = c.created_at AND o.contact_id = c.id AND o.mine)"
#define SQ_CL_VISIBLE                                                                             \
    " AND EXISTS (SELECT 1 FROM contact_access v WHERE v.organization_id = ?1 AND v.user_id = ?9 " \
    "AND v.created_at = c.created_at AND v.contact_id = c.id)"
/* The parts of a search as filters on a contact row (when an owner or visible_to drives). */
#define SQ_CL_SEARCH_ROW "c.id IN (SELECT m.contact_id" SQ_CL_FTS_FROM("words", "?2") ")"
#define SQ_CL_DIGITS_ROW "c.id IN (SELECT m.contact_id" SQ_CL_FTS_FROM("digits", "?3") ")"
#define SQ_CL_LIKE_ROW                                                                            \
    SQ_CL_NAME_LIKE("c") " OR EXISTS (SELECT 1 FROM contact_emails e "                            \
    "WHERE e.organization_id = ?1 AND e.contact_id = c.id AND " SQ_CL_EMAIL_LIKE ")"
#define SQ_CL_SCAN_ROW                                                                            \
    "EXISTS (SELECT 1 FROM contact_phones p WHERE p.organization_id = ?1 "                        \
    "AND p.contact_id = c.id AND instr(p.e164, ?3) > 0)"
#define SQ_CL_ANY_OPEN " AND ("
#define SQ_CL_ANY_OR " OR "
#define SQ_CL_ANY_CLOSE ")"
/* The org's contacts, and the other filters on a contact row. */
#define SQ_CL_CONTACTS " FROM contacts c WHERE c.organization_id = ?1"
#define SQ_CL_UNASSIGNED                                                                          \
    " AND NOT EXISTS (SELECT 1 FROM contact_assignees a "                                         \
    "WHERE a.organization_id = ?1 AND a.contact_id = c.id)"
#define SQ_CL_ASSIGNED                                                                            \
    " AND EXISTS (SELECT 1 FROM contact_assignees a "                                             \
    "WHERE a.organization_id = ?1 AND a.contact_id = c.id)"
/* Created by, owned by or assigned to one of the users: the contact's access rows. */
#define SQ_CL_AMONG                                                                               \
    " AND EXISTS (SELECT 1 FROM contact_access w WHERE w.organization_id = ?1 "                   \
    "AND w.contact_id = c.id AND w.user_id IN (SELECT value FROM json_each(?16)))"
#define SQ_CL_STATUS " AND c.status = ?4"
#define SQ_CL_STAGE " AND c.stage_id = ?5"
#define SQ_CL_PIPELINE " AND c.pipeline_id = ?6"
#define SQ_CL_SOURCE " AND c.source = ?7"
/* Bounds and order on the driver's (created_at, id) columns. */
#define SQ_CL_FROM(t) " AND " t ".created_at >= ?10"
#define SQ_CL_TO(t) " AND " t ".created_at <= ?11"
#define SQ_CL_AFTER(t, id) " AND (" t ".created_at, " t "." id ") < (?12, ?13)"
#define SQ_CL_ORDER(t, id) " ORDER BY " t ".created_at DESC, " t "." id " DESC LIMIT ?14 OFFSET ?15"

/* The durable event stream and webhooks (store version 3). */
#define SQ_EVENT_COLS "seq, organization_id, name, payload, created_at"
#define SQ_WEBHOOK_COLS_OF(t) t "id, " t "organization_id, " t "url, " t "secret, " t "created_by, " t "created_at"
#define SQ_WEBHOOK_COLS SQ_WEBHOOK_COLS_OF("")
#define SQ_DELIVERY_COLS                                                                          \
    "id, organization_id, webhook_id, event_seq, event_name, payload, state, attempts, "          \
    "last_status, last_error, next_attempt_at, created_at, updated_at"

#define SQ_STATEMENTS(X)                                                                          \
    /* transactions of the writer thread */                                                       \
    X(BEGIN, "BEGIN IMMEDIATE")                                                                   \
    X(COMMIT, "COMMIT")                                                                           \
    X(ROLLBACK, "ROLLBACK")                                                                       \
    X(SAVEPOINT, "SAVEPOINT unit")                                                                \
    X(RELEASE, "RELEASE unit")                                                                    \
    X(ROLLBACK_TO, "ROLLBACK TO unit")                                                            \
    X(PING, "SELECT 1")                                                                           \
    /* a read of several statements sees one snapshot (a transaction on a reader, nested on the    \
     * writer) */                                                                                 \
    X(READ_BEGIN, "SAVEPOINT read")                                                               \
    X(READ_END, "RELEASE read")                                                                   \
    /* a part of a unit of work that may be undone alone (sq_savepoint) */                        \
    X(PART_BEGIN, "SAVEPOINT part")                                                               \
    X(PART_KEEP, "RELEASE part")                                                                  \
    X(PART_UNDO, "ROLLBACK TO part")                                                              \
    /* diagnostics (store_sqlite_pragma) */                                                       \
    X(PRAGMA_JOURNAL_MODE, "PRAGMA journal_mode")                                                 \
    X(PRAGMA_SYNCHRONOUS, "PRAGMA synchronous")                                                   \
    X(PRAGMA_FOREIGN_KEYS, "PRAGMA foreign_keys")                                                 \
    X(PRAGMA_BUSY_TIMEOUT, "PRAGMA busy_timeout")                                                 \
    X(PRAGMA_QUERY_ONLY, "PRAGMA query_only")                                                     \
    /* installation settings */                                                                   \
    X(META_GET, "SELECT value FROM meta WHERE key = ?1")                                          \
    X(META_SET, "INSERT INTO meta (key, value) VALUES (?1, ?2) "                                  \
                "ON CONFLICT (key) DO UPDATE SET value = excluded.value")                         \
    /* organizations */                                                                           \
    X(ORG_INSERT, "INSERT INTO organizations (" SQ_ORG_COLS ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)") \
    X(ORG_GET, "SELECT " SQ_ORG_COLS " FROM organizations WHERE id = ?1")                        \
    X(ORG_UPDATE, "UPDATE organizations SET name = ?2, phone_number = ?3, address = ?4, "         \
                  "timezone = ?5, default_country = ?6, updated_at = ?7 WHERE id = ?1")           \
    X(ORG_PHONE_LIST, "SELECT e164, provider, target_user_id, is_default, is_inbound_enabled, "   \
                      "created_at FROM org_phone_numbers WHERE organization_id = ?1 "             \
                      "ORDER BY created_at, e164")                                                \
    X(ORG_PHONE_INSERT, "INSERT INTO org_phone_numbers (organization_id, e164, provider, "        \
                        "target_user_id, is_default, is_inbound_enabled, created_at) "            \
                        "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)")                                    \
    X(ORG_PHONE_DELETE, "DELETE FROM org_phone_numbers WHERE organization_id = ?1 AND e164 = ?2") \
    X(ORG_PHONE_RESERVED,                                                                         \
      "SELECT EXISTS (SELECT 1 FROM org_phone_numbers WHERE organization_id = ?1 AND e164 = ?2) "  \
      "OR EXISTS (SELECT 1 FROM users WHERE organization_id = ?1 AND sinch_phone_number = ?2)")   \
    /* users */                                                                                   \
    X(USER_INSERT, "INSERT INTO users (" SQ_USER_COLS ") "                                        \
                   "VALUES (?1, ?2, lower(?3), ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)")      \
    X(USER_GET, "SELECT " SQ_USER_COLS " FROM users WHERE id = ?1")                              \
    X(USER_GET_BY_EMAIL, "SELECT " SQ_USER_COLS " FROM users WHERE email = lower(?1)")           \
    X(USER_GET_BY_APIKEY, "SELECT " SQ_USER_COLS " FROM users WHERE api_key_hash = ?1")          \
    X(USER_LIST, "SELECT " SQ_USER_COLS " FROM users WHERE organization_id = ?1 "                \
                 "ORDER BY created_at, id")                                                       \
    X(USER_UPDATE, "UPDATE users SET email = lower(?2), full_name = ?3, password_hash = ?4, "     \
                   "phone_number = ?5, designation = ?6, sinch_phone_number = ?7, role = ?8, "    \
                   "login_disabled = ?9, token_version = ?10, updated_at = ?11 "                  \
                   "WHERE id = ?1 AND organization_id IS ?12")                                    \
    X(USER_SET_APIKEY, "UPDATE users SET api_key_hash = ?2 WHERE id = ?1")                        \
    X(USER_COUNT_ROLE, "SELECT count(*) FROM users WHERE role = ?1")                              \
    /* pipelines and their stages */                                                              \
    X(PIPELINE_INSERT, "INSERT INTO pipelines (" SQ_PIPELINE_COLS ") "                            \
                       "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)")                   \
    X(PIPELINE_GET, "SELECT " SQ_PIPELINE_COLS " FROM pipelines "                                 \
                    "WHERE organization_id = ?1 AND id = ?2")                                     \
    X(PIPELINE_GET_DEFAULT, "SELECT " SQ_PIPELINE_COLS " FROM pipelines "                         \
                            "WHERE organization_id = ?1 AND type = ?2 AND is_default")            \
    X(PIPELINE_ID_BY_STAGE, "SELECT pipeline_id FROM pipeline_stages "                            \
                            "WHERE organization_id = ?1 AND id = ?2")                              \
    X(STAGE_LIST, "SELECT id, name, color, position, is_active FROM pipeline_stages "             \
                  "WHERE organization_id = ?1 AND pipeline_id = ?2 ORDER BY position, id")        \
    X(PIPELINE_LIST, "SELECT " SQ_PIPELINE_COLS " FROM pipelines "                                \
                     "WHERE organization_id = ?1 AND (?2 IS NULL OR type = ?2) "                  \
                     "ORDER BY is_default DESC, created_at, id")                                  \
    X(PIPELINE_CLEAR_DEFAULT, "UPDATE pipelines SET is_default = 0 "                              \
                              "WHERE organization_id = ?1 AND type = ?2 AND is_default")          \
    /* contacts */                                                                                \
    X(CONTACT_INSERT, "INSERT INTO contacts (" SQ_CONTACT_COLS ") "                               \
                      "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17)") \
    X(CONTACT_GET, "SELECT " SQ_CONTACT_COLS " FROM contacts WHERE organization_id = ?1 AND id = ?2") \
    X(CONTACT_PHONE_INSERT, "INSERT INTO contact_phones (organization_id, e164, contact_id, "     \
                            "is_secondary, is_primary, position) VALUES (?1, ?2, ?3, ?4, ?5, ?6)") \
    X(CONTACT_PHONE_LIST, "SELECT e164, is_secondary, is_primary FROM contact_phones "            \
                          "WHERE organization_id = ?1 AND contact_id = ?2 "                       \
                          "ORDER BY is_secondary, position")                                      \
    X(CONTACT_EMAIL_INSERT, "INSERT INTO contact_emails (organization_id, contact_id, position, " \
                            "value, is_primary) VALUES (?1, ?2, ?3, ?4, ?5)")                     \
    X(CONTACT_EMAIL_LIST, "SELECT value, is_primary FROM contact_emails "                         \
                          "WHERE organization_id = ?1 AND contact_id = ?2 ORDER BY position")     \
    X(CONTACT_ASSIGNEE_INSERT, "INSERT INTO contact_assignees (organization_id, contact_id, "     \
                               "position, user_id) VALUES (?1, ?2, ?3, ?4)")                      \
    X(CONTACT_ASSIGNEE_LIST, "SELECT user_id FROM contact_assignees "                             \
                             "WHERE organization_id = ?1 AND contact_id = ?2 ORDER BY position")  \
    X(PHONE_OWNER, "SELECT contact_id FROM contact_phones WHERE organization_id = ?1 AND e164 = ?2") \
    X(CONTACT_WIDTHS, "SELECT (SELECT coalesce(max(n), 0) FROM (SELECT count(*) AS n FROM "       \
                      "contact_phones WHERE organization_id = ?1 GROUP BY contact_id)), "         \
                      "(SELECT coalesce(max(n), 0) FROM (SELECT count(*) AS n FROM contact_emails " \
                      "WHERE organization_id = ?1 GROUP BY contact_id))")                         \
    X(CONTACT_METHOD_INSERT, "INSERT INTO contact_method_verifications (organization_id, "         \
                             "contact_id, type, value, verified_at, verified_by, "                \
                             "verification_source) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)")          \
    X(CONTACT_METHOD_LIST, "SELECT type, value, verified_at, verified_by, verification_source "    \
                           "FROM contact_method_verifications WHERE organization_id = ?1 "        \
                           "AND contact_id = ?2 ORDER BY type, value")                            \
    X(CONTACT_METHODS_DELETE, "DELETE FROM contact_method_verifications "                         \
                              "WHERE organization_id = ?1 AND contact_id = ?2")                   \
    /* bulk jobs (sqlite_bulk.c); item lists travel as JSON arrays of ids */                      \
    X(BULK_JOB_INSERT, "INSERT INTO bulk_jobs (" SQ_JOB_COLS ") "                                 \
                       "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)")                   \
    X(BULK_JOB_ITEMS_INSERT, "INSERT INTO bulk_job_items (organization_id, job_id, contact_id) "  \
                             "SELECT ?1, ?2, value FROM json_each(?3)")                           \
    X(BULK_JOB_GET, "SELECT " SQ_JOB_COLS " FROM bulk_jobs WHERE organization_id = ?1 AND id = ?2") \
    X(BULK_JOB_DUE, "SELECT organization_id, id FROM bulk_jobs WHERE state = 'pending' "          \
                    "AND lease_until <= ?1 ORDER BY created_at, id LIMIT 1")                      \
    X(BULK_JOB_LEASE, "UPDATE bulk_jobs SET lease_until = ?3 WHERE organization_id = ?1 AND id = ?2") \
    X(BULK_JOB_ITEMS, "SELECT contact_id FROM bulk_job_items WHERE organization_id = ?1 "         \
                      "AND job_id = ?2 ORDER BY contact_id LIMIT ?3")                             \
    X(BULK_JOB_ITEMS_DONE, "DELETE FROM bulk_job_items WHERE organization_id = ?1 AND job_id = ?2 " \
                           "AND contact_id IN (SELECT value FROM json_each(?3))")                 \
    X(BULK_JOB_UPDATE, "UPDATE bulk_jobs SET processed = processed + ?3, state = ?4, error = ?5, " \
                       "lease_until = ?6, updated_at = ?7 WHERE organization_id = ?1 AND id = ?2") \
    X(BULK_JOB_PROCESSED, "SELECT processed FROM bulk_jobs WHERE organization_id = ?1 AND id = ?2") \
    X(BULK_JOB_PURGE, "DELETE FROM bulk_jobs WHERE rowid IN (SELECT rowid FROM bulk_jobs "        \
                      "WHERE state <> 'pending' AND updated_at < ?1 LIMIT ?2)")                   \
    /* notes (sqlite_notes.c); a contact's, newest first: ?3 after created_at, ?4 after id */     \
    X(NOTE_INSERT, "INSERT INTO contact_notes (" SQ_NOTE_COLS ") "                                \
                   "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)")                                 \
    X(NOTE_GET, "SELECT " SQ_NOTE_COLS " FROM contact_notes WHERE organization_id = ?1 AND id = ?2") \
    X(NOTE_UPDATE, "UPDATE contact_notes SET note = ?3, mentions = ?4, attachments = ?5, "        \
                   "updated_at = ?6 WHERE organization_id = ?1 AND id = ?2")                      \
    X(NOTE_DELETE, "DELETE FROM contact_notes WHERE organization_id = ?1 AND id = ?2")           \
    X(NOTE_LIST, "SELECT " SQ_NOTE_COLS " FROM contact_notes WHERE organization_id = ?1 "         \
                 "AND contact_id = ?2 ORDER BY created_at DESC, id DESC LIMIT ?5")                \
    X(NOTE_LIST_AFTER, "SELECT " SQ_NOTE_COLS " FROM contact_notes WHERE organization_id = ?1 "   \
                       "AND contact_id = ?2 AND (created_at, id) < (?3, ?4) "                     \
                       "ORDER BY created_at DESC, id DESC LIMIT ?5")                              \
    X(CONTACT_NOTES_DELETE, "DELETE FROM contact_notes WHERE organization_id = ?1 "               \
                            "AND contact_id = ?2")                                                \
    /* the derived indexes of a contact (sq_contact_index_sync) */                               \
    X(CONTACT_SEARCH_ROW, SQ_SEARCH_ROWS_INSERT(SQ_ONE_CONTACT) " ON CONFLICT DO NOTHING")        \
    X(CONTACT_SEARCH_ROW_REFRESH, "UPDATE contact_search_rows SET created_at = coalesce((SELECT "   \
                                  "c.created_at FROM contacts c WHERE " SQ_ONE_CONTACT "), created_at) " \
                                  "WHERE organization_id = ?1 AND contact_id = ?2")               \
    X(CONTACT_SEARCH_DELETE, "DELETE FROM contact_search WHERE rowid = (SELECT rid FROM "         \
                             "contact_search_rows WHERE organization_id = ?1 AND contact_id = ?2)") \
    X(CONTACT_SEARCH_INSERT, SQ_SEARCH_INSERT(SQ_ONE_CONTACT))                                    \
    X(SEARCH_PENDING_ADD, "INSERT INTO temp.search_pending (rid, stale) SELECT rid, ?3 FROM "      \
                          "contact_search_rows WHERE organization_id = ?1 AND contact_id = ?2 "   \
                          "ON CONFLICT (rid) DO UPDATE SET stale = max(stale, excluded.stale)")   \
    X(SEARCH_PENDING_DROP, "DELETE FROM contact_search WHERE rowid IN (" SQ_SEARCH_PENDING_ROWS   \
                           " WHERE stale)")                                                       \
    X(SEARCH_PENDING_INSERT, SQ_SEARCH_INSERT("m.rid IN (" SQ_SEARCH_PENDING_ROWS ")"))            \
    X(SEARCH_PENDING_CLEAR, "DELETE FROM temp.search_pending")                                    \
    X(CONTACT_ACCESS_DELETE, "DELETE FROM contact_access WHERE organization_id = ?1 "             \
                             "AND contact_id = ?2")                                               \
    X(CONTACT_ACCESS_INSERT, SQ_ACCESS_INSERT(SQ_ONE_CONTACT, SQ_ONE_CONTACT_ASSIGNEES))          \
    /* Idempotency-Key records */                                                                 \
    X(IDEMPOTENCY_PURGE, "DELETE FROM idempotency_keys WHERE rowid IN (SELECT rowid FROM "        \
                         "idempotency_keys WHERE created_at < ?1 LIMIT ?2)")                      \
    X(IDEMPOTENCY_GET, "SELECT request_hash, status, body FROM idempotency_keys "                 \
                       "WHERE organization_id = ?1 AND user_id = ?2 AND key = ?3 AND created_at >= ?4") \
    X(IDEMPOTENCY_PUT, "INSERT INTO idempotency_keys (organization_id, user_id, key, request_hash, " \
                       "status, body, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) "           \
                       "ON CONFLICT (organization_id, user_id, key) DO UPDATE SET "               \
                       "request_hash = excluded.request_hash, status = excluded.status, "         \
                       "body = excluded.body, created_at = excluded.created_at")                  \
    /* the event log and the durable event stream */                                              \
    X(EVENT_LOG_INSERT, "INSERT INTO event_logs (" SQ_EVENT_LOG_COLS ") "                         \
                        "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)")                                \
    X(EVENT_LOG_LIST, SQ_EVENT_LOG_LIST(""))                                                      \
    X(EVENT_LOG_LIST_USER, SQ_EVENT_LOG_LIST(SQ_BY_USER))                                         \
    X(EVENT_LOG_LIST_CONTACT, SQ_EVENT_LOG_LIST(SQ_BY_CONTACT))                                   \
    X(EVENT_LOG_LIST_USER_CONTACT, SQ_EVENT_LOG_LIST(SQ_BY_USER SQ_BY_CONTACT))                   \
    X(EVENT_LOG_COUNT, SQ_EVENT_LOG_COUNT(""))                                                    \
    X(EVENT_LOG_COUNT_USER, SQ_EVENT_LOG_COUNT(SQ_BY_USER))                                       \
    X(EVENT_LOG_COUNT_CONTACT, SQ_EVENT_LOG_COUNT(SQ_BY_CONTACT))                                 \
    X(EVENT_LOG_COUNT_USER_CONTACT, SQ_EVENT_LOG_COUNT(SQ_BY_USER SQ_BY_CONTACT))                 \
    X(EVENT_APPEND, "INSERT INTO events (organization_id, name, payload, created_at) "            \
                    "VALUES (?1, ?2, ?3, ?4)")                                                    \
    /* the durable event stream read back, oldest first: ?1 after seq, ?2 limit, ?3 org */        \
    X(EVENT_LIST_AFTER, "SELECT " SQ_EVENT_COLS " FROM events WHERE seq > ?1 ORDER BY seq LIMIT ?2") \
    X(EVENT_LIST_AFTER_ORG, "SELECT " SQ_EVENT_COLS " FROM events "                               \
                            "WHERE organization_id = ?3 AND seq > ?1 ORDER BY seq LIMIT ?2")      \
    X(EVENT_LAST_SEQ, "SELECT coalesce(max(seq), 0) FROM events")                                 \
    /* contact writes (sqlite_contact_write.c); created_at never changes: the derived indexes    \
     * are ordered by it */                                                                       \
    X(CONTACT_UPDATE, "UPDATE contacts SET user_id = ?3, created_by = ?4, first_name = ?5, "      \
                      "last_name = ?6, status = ?7, process = ?8, source = ?9, pipeline_id = ?10, " \
                      "stage_id = ?11, updated_at = ?12, version = ?13, verified_at = ?15, "      \
                      "verified_by = ?16, verification_source = ?17 "                             \
                      "WHERE organization_id = ?1 AND id = ?2 AND version = ?14")                 \
    X(CONTACT_VERSION, "SELECT version FROM contacts WHERE organization_id = ?1 AND id = ?2")    \
    /* ?2: [[id, version], ...]; one statement for a batch (a statement journals the pages it    \
     * changes and, in memory, drops them by walking the whole sub-journal: per row, that was     \
     * quadratic in a long unit) */                                                              \
    X(CONTACT_MOVE, "UPDATE contacts SET pipeline_id = ?3, stage_id = ?4, status = ?5, "          \
                    "updated_at = ?6, version = version + 1 WHERE organization_id = ?1 AND "      \
                    "(id, version) IN (SELECT value ->> 0, value ->> 1 FROM json_each(?2)) "      \
                    "RETURNING id")                                                               \
    X(CONTACT_PHONES_DELETE, "DELETE FROM contact_phones WHERE organization_id = ?1 "             \
                             "AND contact_id = ?2")                                               \
    X(CONTACT_EMAILS_DELETE, "DELETE FROM contact_emails WHERE organization_id = ?1 "             \
                             "AND contact_id = ?2")                                               \
    X(CONTACT_ASSIGNEES_DELETE, "DELETE FROM contact_assignees WHERE organization_id = ?1 "       \
                                "AND contact_id = ?2")                                            \
    X(CONTACT_DELETE, "DELETE FROM contacts WHERE organization_id = ?1 AND id = ?2")             \
    X(CONTACT_IDS_IN_STAGE, "SELECT id FROM contacts WHERE organization_id = ?1 AND stage_id = ?2 " \
                            "ORDER BY created_at, id")                                            \
    X(CONTACT_IDS_IN_PIPELINE, "SELECT id FROM contacts WHERE organization_id = ?1 "              \
                               "AND pipeline_id = ?2 ORDER BY created_at, id")                    \
    /* pipeline writes (sqlite_pipeline_write.c); a stage never moves to another pipeline */      \
    X(PIPELINE_UPDATE, "UPDATE pipelines SET name = ?3, description = ?4, is_default = ?5, "      \
                       "is_active = ?6, updated_by = ?7, updated_at = ?8 "                        \
                       "WHERE organization_id = ?1 AND id = ?2")                                  \
    X(STAGE_UPSERT, "INSERT INTO pipeline_stages (organization_id, id, pipeline_id, name, color, " \
                    "position, is_active) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) "                   \
                    "ON CONFLICT (organization_id, id) DO UPDATE SET name = excluded.name, "      \
                    "color = excluded.color, position = excluded.position, "                      \
                    "is_active = excluded.is_active "                                             \
                    "WHERE pipeline_stages.pipeline_id = excluded.pipeline_id")                   \
    X(PIPELINE_STAGES_DELETE, "DELETE FROM pipeline_stages WHERE organization_id = ?1 "           \
                              "AND pipeline_id = ?2")                                             \
    X(PIPELINE_DELETE, "DELETE FROM pipelines WHERE organization_id = ?1 AND id = ?2")           \
    /* webhooks and their deliveries (sqlite_webhooks.c) */                                       \
    X(WEBHOOK_INSERT, "INSERT INTO webhooks (" SQ_WEBHOOK_COLS ") VALUES (?1, ?2, ?3, ?4, ?5, ?6)") \
    X(WEBHOOK_EVENT_INSERT, "INSERT INTO webhook_events (organization_id, webhook_id, position, " \
                            "event) VALUES (?1, ?2, ?3, ?4)")                                     \
    X(WEBHOOK_EVENT_LIST, "SELECT event FROM webhook_events WHERE organization_id = ?1 "          \
                          "AND webhook_id = ?2 ORDER BY position")                                \
    X(WEBHOOK_LIST, "SELECT " SQ_WEBHOOK_COLS " FROM webhooks WHERE organization_id = ?1 "        \
                    "ORDER BY created_at, id")                                                    \
    X(WEBHOOK_GET, "SELECT " SQ_WEBHOOK_COLS " FROM webhooks WHERE organization_id = ?1 AND id = ?2") \
    X(WEBHOOK_SUBSCRIBERS, "SELECT " SQ_WEBHOOK_COLS_OF("w.") " FROM webhooks w "                 \
                           "WHERE w.organization_id = ?1 AND EXISTS (SELECT 1 FROM webhook_events e " \
                           "WHERE e.organization_id = ?1 AND e.webhook_id = w.id AND e.event = ?2) " \
                           "ORDER BY w.created_at, w.id")                                         \
    X(WEBHOOK_DELIVERIES_DELETE, "DELETE FROM webhook_deliveries WHERE organization_id = ?1 "     \
                                 "AND webhook_id = ?2")                                           \
    X(WEBHOOK_EVENTS_DELETE, "DELETE FROM webhook_events WHERE organization_id = ?1 "             \
                             "AND webhook_id = ?2")                                               \
    X(WEBHOOK_DELETE, "DELETE FROM webhooks WHERE organization_id = ?1 AND id = ?2")             \
    X(DELIVERY_INSERT, "INSERT INTO webhook_deliveries (" SQ_DELIVERY_COLS ") "                   \
                       "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)")         \
    X(DELIVERY_CLAIM, "UPDATE webhook_deliveries SET next_attempt_at = ?4 WHERE organization_id = ?1 " \
                      "AND id = ?2 AND state = 'pending' AND next_attempt_at <= ?3")             \
    X(DELIVERY_UPDATE, "UPDATE webhook_deliveries SET state = ?3, attempts = ?4, last_status = ?5, " \
                       "last_error = ?6, next_attempt_at = ?7, updated_at = ?8 "                  \
                       "WHERE organization_id = ?1 AND id = ?2")                                  \
    X(DELIVERY_GET, "SELECT " SQ_DELIVERY_COLS " FROM webhook_deliveries "                        \
                    "WHERE organization_id = ?1 AND id = ?2")                                     \
    X(DELIVERY_LIST, "SELECT " SQ_DELIVERY_COLS " FROM webhook_deliveries "                       \
                     "WHERE organization_id = ?1 AND webhook_id = ?2 "                            \
                     "ORDER BY created_at DESC, id DESC LIMIT ?3 OFFSET ?4")                      \
    X(DELIVERY_COUNT, "SELECT count(*) FROM webhook_deliveries "                                  \
                      "WHERE organization_id = ?1 AND webhook_id = ?2")                           \
    X(DELIVERY_DUE, "SELECT " SQ_DELIVERY_COLS " FROM webhook_deliveries "                        \
                    "WHERE state = 'pending' AND next_attempt_at <= ?1 "                          \
                    "ORDER BY next_attempt_at, id LIMIT ?2")                                      \
    X(CONTACT_COUNT_ORG, "SELECT coalesce(sum(n), 0) FROM contact_counts WHERE organization_id = ?1") \
    X(CONTACT_COUNT_STAGE, "SELECT n FROM contact_counts WHERE organization_id = ?1 AND stage_id = ?2") \
    /* CSV imports (sqlite_imports.c) */                                                          \
    X(IMPORT_INSERT, "INSERT INTO imports (" SQ_IMPORT_COLS ") "                                   \
                     "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)")                \
    X(IMPORT_GET, "SELECT " SQ_IMPORT_COLS " FROM imports WHERE organization_id = ?1 AND id = ?2")  \
    X(IMPORT_COUNTS, "SELECT status, count(*) FROM import_rows WHERE organization_id = ?1 "       \
                     "AND import_id = ?2 AND status IS NOT NULL GROUP BY status")                 \
    X(IMPORT_ROW_INSERT, "INSERT INTO import_rows (organization_id, import_id, row, after_row, "  \
                         "input) VALUES (?1, ?2, ?3, ?4, ?5)")                                    \
    X(IMPORT_ROWS_PENDING, "SELECT " SQ_IMPORT_ROW_COLS " FROM import_rows "                      \
                           "WHERE organization_id = ?1 AND import_id = ?2 AND status IS NULL "    \
                           "AND row > ?3 AND (after_row <> 0) = ?4 ORDER BY row LIMIT ?5")        \
    X(IMPORT_ROW_DONE, "UPDATE import_rows SET status = ?4, contact_id = ?5, error = ?6, "        \
                       "field = ?7, value = ?8, message = ?9 WHERE organization_id = ?1 AND import_id = ?2 "    \
                       "AND row = ?3 AND status IS NULL")                                         \
    X(IMPORT_ROWS_LIST, "SELECT " SQ_IMPORT_ROW_COLS " FROM import_rows "                         \
                        "WHERE organization_id = ?1 AND import_id = ?2 AND status IS NOT NULL "   \
                        "ORDER BY row LIMIT ?3 OFFSET ?4")                                        \
    X(IMPORT_ROWS_LIST_STATUS, "SELECT " SQ_IMPORT_ROW_COLS " FROM import_rows "                  \
                               "WHERE organization_id = ?1 AND import_id = ?2 AND status = ?5 "   \
                               "ORDER BY row LIMIT ?3 OFFSET ?4")                                 \
    X(IMPORT_FINISH, "UPDATE imports SET state = ?3, error = ?4, finished_at = ?5 "               \
                     "WHERE organization_id = ?1 AND id = ?2 AND state = 'running'")              \
    X(IMPORT_CLAIM_FIND, "SELECT organization_id, id FROM imports WHERE state = 'running' "       \
                         "AND lease_until < ?1 ORDER BY created_at, id LIMIT 1")                  \
    X(IMPORT_RENEW, "UPDATE imports SET lease_until = ?3 WHERE organization_id = ?1 AND id = ?2 " \
                    "AND state = 'running'")                                                      \
    X(IMPORT_PURGE_ROWS, "DELETE FROM import_rows WHERE (organization_id, import_id, row) IN "    \
                         "(SELECT r.organization_id, r.import_id, r.row FROM imports i "          \
                         "JOIN import_rows r ON r.organization_id = i.organization_id "           \
                         "AND r.import_id = i.id WHERE i.state <> 'running' "                     \
                         "AND i.finished_at < ?1 LIMIT ?2)")                                      \
    X(IMPORT_PURGE_EMPTY, "DELETE FROM imports WHERE state <> 'running' AND finished_at < ?1 "    \
                          "AND NOT EXISTS (SELECT 1 FROM import_rows r WHERE "                    \
                          "r.organization_id = imports.organization_id AND r.import_id = imports.id)")

typedef enum sq_stmt_id {
#define SQ_STMT_ENUM(id, sql) SQ_##id,
    SQ_STATEMENTS(SQ_STMT_ENUM)
#undef SQ_STMT_ENUM
    SQ__COUNT
} sq_stmt_id;

#endif
