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
#define SQ_CONTACT_COLS                                                                           \
    "id, organization_id, user_id, created_by, first_name, last_name, status, process, source, "  \
    "pipeline_id, stage_id, created_at, updated_at, version"
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
    X(STAGE_INSERT, "INSERT INTO pipeline_stages (organization_id, id, pipeline_id, name, color, " \
                    "position, is_active) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)")                   \
    X(STAGE_LIST, "SELECT id, name, color, position, is_active FROM pipeline_stages "             \
                  "WHERE organization_id = ?1 AND pipeline_id = ?2 ORDER BY position, id")        \
    /* contacts */                                                                                \
    X(CONTACT_INSERT, "INSERT INTO contacts (" SQ_CONTACT_COLS ") "                               \
                      "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)")     \
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
                    "VALUES (?1, ?2, ?3, ?4)")

typedef enum sq_stmt_id {
#define SQ_STMT_ENUM(id, sql) SQ_##id,
    SQ_STATEMENTS(SQ_STMT_ENUM)
#undef SQ_STMT_ENUM
    SQ__COUNT
} sq_stmt_id;

#endif
