/* Every fixed SQL statement the PostgreSQL backend prepares, in one place: an X-macro list of
 * (id, text) that generates the statement enum and the text table. Only bound parameters, and
 * every statement on an organization's records filters on organization_id (users by id, email or
 * key hash are the installation-wide lookups that authentication needs). The contact list is
 * assembled from fragments in pg_contact_list.c. */
#ifndef CRM_STORE_PG_SQL_H
#define CRM_STORE_PG_SQL_H

#define PG_ORG_COLS "id, name, phone_number, address, timezone, default_country, created_at, updated_at"
#define PG_USER_COLS                                                                              \
    "id, organization_id, email, full_name, password_hash, phone_number, designation, "           \
    "sinch_phone_number, role, login_disabled, token_version, created_at, updated_at"
#define PG_PIPELINE_COLS_OF(t)                                                                    \
    t "id, " t "organization_id, " t "name, " t "description, " t "type, " t "is_default, "        \
    t "is_active, " t "created_by, " t "updated_by, " t "created_at, " t "updated_at"
/* A pipeline row joined with each of its stages (one row per stage, none: NULL stage columns),
 * in position order: a pipeline is one statement. */
#define PG_PIPELINE_WITH_STAGES(where)                                                            \
    "SELECT " PG_PIPELINE_COLS_OF("p.") ", s.id, s.name, s.color, s.position, s.is_active "       \
    "FROM pipelines p LEFT JOIN pipeline_stages s ON s.organization_id = p.organization_id "      \
    "AND s.pipeline_id = p.id WHERE " where " ORDER BY s.position, s.id"

/* A contact row with its lists (one index lookup: the lists are copies in the row, written with
 * the rows they list): phones as "<secondary><primary><e164>" and emails as "<primary><value>",
 * space-separated in order (neither an E.164 number nor a validated address holds a space),
 * assignees space-separated; the verified numbers and emails, each "<type> <value> <at> <by>
 * <source bytes, -1 for NULL> <source>" (the source is free text: its length says where the next
 * one starts), by type and value. An empty list is NULL. */
#define PG_CONTACT_COLS_OF(t)                                                                     \
    t "id, " t "organization_id, " t "user_id, " t "created_by, " t "first_name, " t "last_name, " \
    t "status, " t "process, " t "source, " t "pipeline_id, " t "stage_id, " t "created_at, "     \
    t "updated_at, " t "version, " t "verified_at, " t "verified_by, " t "verification_source, "  \
    t "phone_list, " t "email_list, " t "assignee_list, " t "method_list"
#define PG_CONTACT_SELECT_OF(t) "SELECT " PG_CONTACT_COLS_OF(t)
/* The same lists from the rows of contact t (`crmd check`, migrations, a load's rebuild). */
#define PG_STORED_LISTS(t)                                                                        \
    "(SELECT string_agg(p.is_secondary::int::text || p.is_primary::int::text || p.e164, ' ' "     \
    "ORDER BY p.is_secondary, p.position) FROM contact_phones p "                                 \
    "WHERE p.organization_id = " t ".organization_id AND p.contact_id = " t ".id), "              \
    "(SELECT string_agg(e.is_primary::int::text || e.value, ' ' ORDER BY e.position) "            \
    "FROM contact_emails e WHERE e.organization_id = " t ".organization_id AND e.contact_id = " t ".id), " \
    "(SELECT string_agg(a.user_id, ' ' ORDER BY a.position) FROM contact_assignees a "            \
    "WHERE a.organization_id = " t ".organization_id AND a.contact_id = " t ".id), "              \
    "(SELECT string_agg(v.type || ' ' || v.value || ' ' || v.verified_at || ' ' || v.verified_by " \
    "|| ' ' || coalesce(octet_length(v.verification_source), -1) || ' ' || "                       \
    "coalesce(v.verification_source, ''), '' ORDER BY v.type COLLATE \"C\", v.value COLLATE \"C\") " \
    "FROM contact_method_verifications v "                                                        \
    "WHERE v.organization_id = " t ".organization_id AND v.contact_id = " t ".id)"
#define PG_LIST_COLS "phone_list, email_list, assignee_list, method_list"
#define PG_CONTACT_NCOLS 21

/* The search document of a contact, from the values being written: words are "first last" (or
 * the one that is set) and every email, one per line, lower-cased; digits are the digits of
 * every number, space-separated. A LIKE pattern never spans a newline or a space unless the
 * query holds one. */
#define PG_SEARCH_WORDS(first, last, emails)                                                      \
    "lower(coalesce(" first "::text || ' ' || " last "::text, " first "::text, " last "::text, '') || " \
    "coalesce(E'\\n' || nullif(array_to_string(" emails "::text[], E'\\n'), ''), ''))"
#define PG_SEARCH_DIGITS(phones)                                                                  \
    "array_to_string(ARRAY(SELECT replace(x, '+', '') FROM unnest(" phones "::text[]) AS x), ' ')"

/* The search document of contact t from its stored names, emails and numbers. */
#define PG_STORED_WORDS(t)                                                                        \
    PG_SEARCH_WORDS(t ".first_name", t ".last_name", "ARRAY(SELECT e.value FROM contact_emails e " \
                    "WHERE e.organization_id = " t ".organization_id AND e.contact_id = " t ".id " \
                    "ORDER BY e.position)")
#define PG_STORED_DIGITS(t)                                                                       \
    PG_SEARCH_DIGITS("ARRAY(SELECT p.e164 FROM contact_phones p WHERE p.organization_id = "       \
                     t ".organization_id AND p.contact_id = " t ".id ORDER BY p.is_secondary, "   \
                     "p.position)")
/* CONTACT_UPDATE's search document, from its parameters. */
#define PG_CONTACT_WORDS PG_SEARCH_WORDS("$7", "$8", "$4")
#define PG_CONTACT_DIGITS PG_SEARCH_DIGITS("$3")

/* The children of a contact from arrays ($1 org, $2 contact id): unnest keeps them in order.
 * on_conflict: what a number that is taken does (nothing: the statement fails). */
#define PG_CONTACT_CHILDREN(on_conflict)                                                          \
    "p AS (INSERT INTO contact_phones (organization_id, e164, contact_id, is_secondary, "         \
    "is_primary, position) SELECT $1, x.e164, $2, x.sec, x.pri, x.pos - 1 FROM unnest("           \
    "$3::text[], $4::bool[], $5::bool[]) WITH ORDINALITY AS x(e164, sec, pri, pos) "              \
    on_conflict "RETURNING 1), "                                                                  \
    "e AS (INSERT INTO contact_emails (organization_id, contact_id, position, value, is_primary) " \
    "SELECT $1, $2, x.pos - 1, x.value, x.pri FROM unnest($6::text[], $7::bool[]) "              \
    "WITH ORDINALITY AS x(value, pri, pos) RETURNING 1), "                                        \
    "a AS (INSERT INTO contact_assignees (organization_id, contact_id, position, user_id) "       \
    "SELECT $1, $2, x.pos - 1, x.user_id FROM unnest($8::text[]) WITH ORDINALITY AS x(user_id, pos) " \
    "RETURNING 1) "
/* Deleting the numbers, emails, assignees and verified methods of contact $2 of org $1. */
#define PG_CONTACT_CHILDREN_GONE                                                                  \
    "p AS (DELETE FROM contact_phones WHERE organization_id = $1 AND contact_id = $2), "          \
    "e AS (DELETE FROM contact_emails WHERE organization_id = $1 AND contact_id = $2), "          \
    "a AS (DELETE FROM contact_assignees WHERE organization_id = $1 AND contact_id = $2), "       \
    "v AS (DELETE FROM contact_method_verifications WHERE organization_id = $1 AND contact_id = $2) "
/* A contact's stage id, when it is a stage of that pipeline in that organization, else NULL, which
 * the column's NOT NULL refuses: what the foreign keys of contacts did before migration 8, as a
 * lookup that locks nothing (the service never asks for another; a stage is deleted only with
 * its pipeline, and a pipeline only with none of its contacts left). */
#define PG_STAGE_OF(org, pipeline, stage)                                                          \
    "(SELECT s.id FROM pipeline_stages s WHERE s.organization_id = " org " AND s.id = " stage     \
    " AND s.pipeline_id = " pipeline ")"
/* The verified numbers and emails of a contact from arrays: type, value, at, by, source. */
#define PG_CONTACT_METHODS(type, value, at, by, source)                                           \
    ", v AS (INSERT INTO contact_method_verifications (organization_id, contact_id, type, value, " \
    "verified_at, verified_by, verification_source) SELECT $1, $2, x.type, x.value, x.at, x.by, " \
    "x.source FROM unnest(" type "::text[], " value "::text[], " at "::bigint[], " by "::text[], " \
    source "::text[]) AS x(type, value, at, by, source) RETURNING 1) "

#define PG_IMPORT_COLS "organization_id, id, user_id, state, on_duplicate, dry_run, file_name, error, total, " \
                       "created_at, finished_at, lease_until"
#define PG_IMPORT_ROW_COLS "row, after_row, input, status, contact_id, error, field, value, message"
#define PG_NOTE_COLS "id, organization_id, contact_id, user_id, note, mentions, attachments, created_at, updated_at"
#define PG_JOB_COLS_OF(t)                                                                         \
    t "organization_id, " t "id, " t "user_id, " t "kind, " t "state, " t "total, " t "processed, " \
    t "error, " t "lease_until, " t "created_at, " t "updated_at"
#define PG_EVENT_LOG_COLS "id, organization_id, user_id, contact_id, type, source, changes, created_at"
#define PG_EVENT_COLS "seq, organization_id, name, payload, created_at"
#define PG_WEBHOOK_COLS_OF(t)                                                                     \
    t "id, " t "organization_id, " t "url, " t "secret, " t "created_by, " t "created_at, "       \
    "(SELECT string_agg(e.event, ' ' ORDER BY e.position) FROM webhook_events e "                 \
    "WHERE e.organization_id = " t "organization_id AND e.webhook_id = " t "id)"
#define PG_DELIVERY_COLS                                                                          \
    "id, organization_id, webhook_id, event_seq, event_name, payload, state, attempts, "          \
    "last_status, last_error, next_attempt_at, created_at, updated_at"

/* The event-log filters: $1 org, $2 user, $3 contact, $4 since; the list adds $5 limit, $6 offset. */
#define PG_EVENT_LOG_WHERE                                                                        \
    " FROM event_logs WHERE organization_id = $1 AND ($2::text IS NULL OR user_id = $2) "         \
    "AND ($3::text IS NULL OR contact_id = $3) AND created_at >= $4"

/* Advisory lock classes (the first key of the two-key form): "crm" and a number. */
#define PG_CLASS_NUMBER 1668443393     /* one phone number of one organization */
#define PG_CLASS_PIPELINES 1668443394  /* the pipelines of one organization */
#define PG_CLASS_KEY 1668443395        /* one Idempotency-Key */
#define PG_CLASS_SEQUENCER 1668443396  /* numbering the event stream */
#define PG_CLASS_SCHEMA 1668443397     /* migrations */
#define PG_CLASS_JANITOR 1668443398    /* the purge, by one server at a time */
#define PG_STR(x) PG_STR_(x)
#define PG_STR_(x) #x

#define PG_STATEMENTS(X)                                                                          \
    X(PING, "SELECT 1")                                                                           \
    /* what the other servers hear (pg_listen.c), delivered when the transaction commits */       \
    X(NOTIFY_EVENTS, "SELECT pg_notify('crmd_events', $1)")                                       \
    X(NOTIFY_ACCOUNTS, "SELECT pg_notify('crmd_accounts', $1)")                                   \
    /* the locks a unit of work takes before it reads what it decides on (pg.c explains) */       \
    X(LOCK_NUMBER, "SELECT pg_advisory_xact_lock(" PG_STR(PG_CLASS_NUMBER) ", hashtext($1::text || $2::text))") \
    X(LOCK_PIPELINES_SHARED, "SELECT pg_advisory_xact_lock_shared(" PG_STR(PG_CLASS_PIPELINES)    \
                             ", hashtext($1::text))")                                                   \
    X(LOCK_PIPELINES, "SELECT pg_advisory_xact_lock(" PG_STR(PG_CLASS_PIPELINES) ", hashtext($1::text))") \
    X(LOCK_KEY, "SELECT pg_advisory_xact_lock(" PG_STR(PG_CLASS_KEY) ", hashtext($1::text || $2::text || $3::text))") \
    /* installation settings */                                                                   \
    X(META_GET, "SELECT value FROM meta WHERE key = $1")                                          \
    X(META_GET_FOR_UPDATE, "SELECT value FROM meta WHERE key = $1 FOR UPDATE")                    \
    X(META_SET, "INSERT INTO meta (key, value) VALUES ($1, $2) "                                  \
                "ON CONFLICT (key) DO UPDATE SET value = excluded.value")                         \
    /* organizations */                                                                           \
    X(ORG_INSERT, "INSERT INTO organizations (" PG_ORG_COLS ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8)") \
    X(ORG_GET, "SELECT " PG_ORG_COLS " FROM organizations WHERE id = $1")                        \
    X(ORG_UPDATE, "UPDATE organizations SET name = $2, phone_number = $3, address = $4, "         \
                  "timezone = $5, default_country = $6, updated_at = $7 WHERE id = $1")           \
    X(ORG_PHONE_LIST, "SELECT e164, provider, target_user_id, is_default, is_inbound_enabled, "   \
                      "created_at FROM org_phone_numbers WHERE organization_id = $1 "             \
                      "ORDER BY created_at, e164")                                                \
    X(ORG_PHONE_INSERT, "INSERT INTO org_phone_numbers (organization_id, e164, provider, "        \
                        "target_user_id, is_default, is_inbound_enabled, created_at) "            \
                        "VALUES ($1, $2, $3, $4, $5, $6, $7)")             \
    X(ORG_PHONE_DELETE, "DELETE FROM org_phone_numbers WHERE organization_id = $1 AND e164 = $2") \
    /* a unit's check of a number: reserved (ORG_PHONE_RESERVED), and the contact holding it */  \
    X(NUMBER_STATE,                                                                               \
      "SELECT EXISTS (SELECT 1 FROM org_phone_numbers WHERE organization_id = $1 AND e164 = $2) "  \
      "OR EXISTS (SELECT 1 FROM users WHERE organization_id = $1 AND sinch_phone_number = $2), "  \
      "(SELECT contact_id FROM contact_phones WHERE organization_id = $1 AND e164 = $2)")         \
    X(ORG_PHONE_RESERVED,                                                                         \
      "SELECT EXISTS (SELECT 1 FROM org_phone_numbers WHERE organization_id = $1 AND e164 = $2) "  \
      "OR EXISTS (SELECT 1 FROM users WHERE organization_id = $1 AND sinch_phone_number = $2)")   \
    /* users */                                                                                   \
    X(USER_INSERT, "INSERT INTO users (" PG_USER_COLS ") "                                        \
                   "VALUES ($1, $2, lower($3), $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)")                                              \
    X(USER_GET, "SELECT " PG_USER_COLS " FROM users WHERE id = $1")                              \
    X(USER_GET_FOR_UPDATE, "SELECT " PG_USER_COLS " FROM users WHERE id = $1 FOR UPDATE")        \
    X(USER_GET_BY_EMAIL, "SELECT " PG_USER_COLS " FROM users WHERE email = lower($1)")           \
    X(USER_GET_BY_APIKEY, "SELECT " PG_USER_COLS " FROM users WHERE api_key_hash = $1")          \
    X(USER_LIST, "SELECT " PG_USER_COLS " FROM users WHERE organization_id = $1 "                \
                 "ORDER BY created_at, id")                                                       \
    X(USER_UPDATE, "UPDATE users SET email = lower($2), full_name = $3, password_hash = $4, "     \
                   "phone_number = $5, designation = $6, sinch_phone_number = $7, role = $8, "    \
                   "login_disabled = $9, token_version = $10, updated_at = $11 "                  \
                   "WHERE id = $1 AND organization_id IS NOT DISTINCT FROM $12")                  \
    X(USER_SET_APIKEY, "UPDATE users SET api_key_hash = $2 WHERE id = $1")                        \
    X(USER_COUNT_ROLE, "SELECT count(*) FROM users WHERE role = $1")                              \
    /* pipelines and their stages */                                                              \
    X(PIPELINE_INSERT, "INSERT INTO pipelines (" PG_PIPELINE_COLS_OF("") ") "                     \
                       "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)")                    \
    X(PIPELINE_GET, PG_PIPELINE_WITH_STAGES("p.organization_id = $1 AND p.id = $2"))             \
    X(PIPELINE_GET_DEFAULT, PG_PIPELINE_WITH_STAGES("p.organization_id = $1 AND p.type = $2 "    \
                                                    "AND p.is_default"))                          \
    X(PIPELINE_GET_BY_STAGE, PG_PIPELINE_WITH_STAGES("p.organization_id = $1 AND p.id = (SELECT " \
                                                     "pipeline_id FROM pipeline_stages WHERE "     \
                                                     "organization_id = $1 AND id = $2)"))         \
    X(PIPELINE_LIST, "SELECT " PG_PIPELINE_COLS_OF("p.") ", s.id, s.name, s.color, s.position, "  \
                     "s.is_active FROM pipelines p LEFT JOIN pipeline_stages s "                  \
                     "ON s.organization_id = p.organization_id AND s.pipeline_id = p.id "         \
                     "WHERE p.organization_id = $1 AND ($2::text IS NULL OR p.type = $2) "        \
                     "ORDER BY p.is_default DESC, p.created_at, p.id, s.position, s.id")          \
    X(PIPELINE_CLEAR_DEFAULT, "UPDATE pipelines SET is_default = false "                          \
                              "WHERE organization_id = $1 AND type = $2 AND is_default")          \
    X(PIPELINE_UPDATE, "UPDATE pipelines SET name = $3, description = $4, is_default = $5, "      \
                       "is_active = $6, updated_by = $7, updated_at = $8 "                        \
                       "WHERE organization_id = $1 AND id = $2")                                  \
    X(STAGE_UPSERT, "INSERT INTO pipeline_stages (organization_id, id, pipeline_id, name, color, " \
                    "position, is_active) SELECT $1, x.id, $2, x.name, x.color, x.position, "     \
                    "x.active FROM unnest($3::text[], $4::text[], $5::text[], $6::int[], "        \
                    "$7::bool[]) AS x(id, name, color, position, active) "                        \
                    "ON CONFLICT (organization_id, id) DO UPDATE SET name = excluded.name, "      \
                    "color = excluded.color, position = excluded.position, "                      \
                    "is_active = excluded.is_active "                                             \
                    "WHERE pipeline_stages.pipeline_id = excluded.pipeline_id")                   \
    X(PIPELINE_HAS_CONTACTS, "SELECT 1 FROM contacts WHERE organization_id = $1 AND pipeline_id = $2 LIMIT 1") \
    X(PIPELINE_DELETE, "WITH s AS (DELETE FROM pipeline_stages WHERE organization_id = $1 "       \
                       "AND pipeline_id = $2) DELETE FROM pipelines WHERE organization_id = $1 "  \
                       "AND id = $2")                                                             \
    /* contacts */                                                                                \
    /* $1 org, $2 id, $3-$8 the lists (PG_CONTACT_CHILDREN), $9.. the columns, $24-$28 the      \
     * verified numbers and emails, $29-$32 the lists' copies; a taken number fails it (contact_phones_pkey: PHONE_TAKEN), \
     * so that it can go with COMMIT */                                                          \
    X(CONTACT_INSERT, "WITH c AS (INSERT INTO contacts (" PG_CONTACT_COLS_OF("") ") VALUES ($2, " \
                      "$1, $9, $10, $11, $12, $13, $14, $15, $16, " PG_STAGE_OF("$1", "$16", "$17")  \
                      ", $18, $19, $20, $21, $22, "                                               \
                      "$23, $29, $30, $31, $32) RETURNING 1), s AS (INSERT INTO contact_search (organization_id, "    \
                      "contact_id, words, digits) VALUES ($1, $2, " PG_SEARCH_WORDS("$11", "$12", \
                      "$6") ", " PG_SEARCH_DIGITS("$3") ")), " PG_CONTACT_CHILDREN("")            \
                      PG_CONTACT_METHODS("$24", "$25", "$26", "$27", "$28")                       \
                      "SELECT (SELECT count(*) FROM p), (SELECT count(*) FROM c)")                \
    X(CONTACT_GET, PG_CONTACT_SELECT_OF("c.") " FROM contacts c "                                 \
                   "WHERE c.organization_id = $1 AND c.id = $2")                                  \
    X(CONTACT_GET_FOR_UPDATE, PG_CONTACT_SELECT_OF("c.") " FROM contacts c "                      \
                              "WHERE c.organization_id = $1 AND c.id = $2 FOR UPDATE OF c")       \
    X(PHONE_OWNER, "SELECT contact_id FROM contact_phones WHERE organization_id = $1 AND e164 = $2") \
    X(CONTACT_WIDTHS, "SELECT (SELECT coalesce(max(n), 0) FROM (SELECT count(*) AS n FROM "       \
                      "contact_phones WHERE organization_id = $1 GROUP BY contact_id) AS p), "    \
                      "(SELECT coalesce(max(n), 0) FROM (SELECT count(*) AS n FROM contact_emails " \
                      "WHERE organization_id = $1 GROUP BY contact_id) AS e)")                    \
    /* the whole row and every child is rewritten; created_at never changes; the search       \
     * document only when it changes. The answer: 1 when the contact was at that version. */      \
    /* $1 org, $2 id, $3 numbers, $4 emails, $5.. the columns, $16 the expected version,         \
     * $17-$19 the contact's verification, $20-$23 the lists' copies */                                                     \
    X(CONTACT_UPDATE, "WITH c AS (UPDATE contacts SET user_id = $5, created_by = $6, "            \
                      "first_name = $7, last_name = $8, status = $9, process = $10, source = $11, " \
                      "pipeline_id = $12, stage_id = " PG_STAGE_OF("$1", "$12", "$13")            \
                      ", updated_at = $14, version = $15, "                                       \
                      "verified_at = $17, verified_by = $18, verification_source = $19, "         \
                      "phone_list = $20, email_list = $21, assignee_list = $22, method_list = $23 " \
                      "WHERE organization_id = $1 AND id = $2 AND version = $16 RETURNING 1), "   \
                      "s AS (UPDATE contact_search s SET words = n.words, digits = n.digits "     \
                      "FROM (SELECT " PG_CONTACT_WORDS " AS words, " PG_CONTACT_DIGITS            \
                      " AS digits) n WHERE s.organization_id = $1 AND s.contact_id = $2 AND "     \
                      "EXISTS (SELECT 1 FROM c) AND (s.words, s.digits) IS DISTINCT FROM "        \
                      "(n.words, n.digits)) SELECT count(*) FROM c")                              \
    X(CONTACT_CHILDREN_DELETE, "WITH " PG_CONTACT_CHILDREN_GONE "SELECT 1")                        \
    X(CONTACT_CHILDREN_INSERT, "WITH " PG_CONTACT_CHILDREN("ON CONFLICT DO NOTHING ")             \
                               PG_CONTACT_METHODS("$9", "$10", "$11", "$12", "$13")               \
                               "SELECT (SELECT count(*) FROM p), (SELECT count(*) FROM v)")       \
    X(CONTACT_VERSION, "SELECT version FROM contacts WHERE organization_id = $1 AND id = $2")    \
    /* CONTACT_LOCK first, so that this statement's snapshot holds every row of the contact     \
     * (an update rewrites them under the lock); its notes go by ON DELETE CASCADE */             \
    X(CONTACT_LOCK, "SELECT 1 FROM contacts WHERE organization_id = $1 AND id = $2 FOR UPDATE")  \
    X(CONTACT_DELETE, "WITH " PG_CONTACT_CHILDREN_GONE ", s AS (DELETE FROM contact_search "       \
                      "WHERE organization_id = $1 AND contact_id = $2) "                          \
                      "DELETE FROM contacts WHERE organization_id = $1 AND id = $2")             \
    /* bulk jobs (pg_bulk.c): a claim skips a job another server is taking */                      \
    X(BULK_JOB_INSERT, "INSERT INTO bulk_jobs (" PG_JOB_COLS_OF("") ") "                          \
                       "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)")                   \
    X(BULK_JOB_ITEMS_INSERT, "INSERT INTO bulk_job_items (organization_id, job_id, contact_id) "  \
                             "SELECT $1, $2, unnest($3::text[])")                                 \
    X(BULK_JOB_GET, "SELECT " PG_JOB_COLS_OF("") " FROM bulk_jobs WHERE organization_id = $1 AND id = $2") \
    X(BULK_JOB_CLAIM, "UPDATE bulk_jobs j SET lease_until = $2 FROM (SELECT organization_id, id "  \
                      "FROM bulk_jobs WHERE state = 'pending' AND lease_until <= $1 "             \
                      "ORDER BY created_at, id LIMIT 1 FOR UPDATE SKIP LOCKED) AS due "           \
                      "WHERE j.organization_id = due.organization_id AND j.id = due.id "          \
                      "RETURNING " PG_JOB_COLS_OF("j."))                                          \
    X(BULK_JOB_ITEMS, "SELECT contact_id FROM bulk_job_items WHERE organization_id = $1 "         \
                      "AND job_id = $2 ORDER BY contact_id LIMIT $3")                             \
    X(BULK_JOB_ADVANCE, "WITH done AS (DELETE FROM bulk_job_items WHERE organization_id = $1 "    \
                        "AND job_id = $2 AND contact_id = ANY ($3::text[]) RETURNING 1) "         \
                        "UPDATE bulk_jobs SET processed = processed + (SELECT count(*) FROM done), " \
                        "state = $4, error = $5, lease_until = $6, updated_at = $7 "              \
                        "WHERE organization_id = $1 AND id = $2 RETURNING processed")             \
    X(CONTACT_MOVE_MANY, "UPDATE contacts c SET pipeline_id = $3, stage_id = "                    \
                         PG_STAGE_OF("$1", "$3", "$4") ", status = $5, "                          \
                         "updated_at = $6, version = c.version + 1 "                              \
                         "FROM unnest($2::text[], $7::bigint[]) WITH ORDINALITY AS m(id, version, i) " \
                         "WHERE c.organization_id = $1 AND c.id = m.id AND c.version = m.version " \
                         "RETURNING m.i")                                                         \
    X(BULK_JOB_PURGE, "WITH d AS (DELETE FROM bulk_jobs WHERE ctid = ANY (ARRAY(SELECT ctid "     \
                      "FROM bulk_jobs WHERE state <> 'pending' AND updated_at < $1 LIMIT $2)) "   \
                      "RETURNING 1) SELECT count(*) FROM d")                                      \
    /* notes (pg_notes.c); a contact's, newest first: $3 after created_at, $4 after id */         \
    X(NOTE_INSERT, "INSERT INTO contact_notes (" PG_NOTE_COLS ") "                                \
                   "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)")                                 \
    X(NOTE_GET, "SELECT " PG_NOTE_COLS " FROM contact_notes WHERE organization_id = $1 AND id = $2") \
    X(NOTE_GET_FOR_UPDATE, "SELECT " PG_NOTE_COLS " FROM contact_notes "                          \
                           "WHERE organization_id = $1 AND id = $2 FOR UPDATE")                   \
    X(NOTE_UPDATE, "UPDATE contact_notes SET note = $3, mentions = $4, attachments = $5, "        \
                   "updated_at = $6 WHERE organization_id = $1 AND id = $2")                      \
    X(NOTE_DELETE, "DELETE FROM contact_notes WHERE organization_id = $1 AND id = $2")           \
    X(NOTE_LIST, "SELECT " PG_NOTE_COLS " FROM contact_notes WHERE organization_id = $1 "         \
                 "AND contact_id = $2 ORDER BY created_at DESC, id DESC LIMIT $3")                \
    X(NOTE_LIST_AFTER, "SELECT " PG_NOTE_COLS " FROM contact_notes WHERE organization_id = $1 "   \
                       "AND contact_id = $2 AND (created_at, id) < ($4, $5) "                     \
                       "ORDER BY created_at DESC, id DESC LIMIT $3")                              \
    X(CONTACT_IDS_IN_STAGE, "SELECT id FROM contacts WHERE organization_id = $1 AND stage_id = $2 " \
                            "ORDER BY created_at, id")                                            \
    X(CONTACT_IDS_IN_PIPELINE, "SELECT id FROM contacts WHERE organization_id = $1 "              \
                               "AND pipeline_id = $2 ORDER BY created_at, id")                    \
    /* Idempotency-Key records */                                                                 \
    X(IDEMPOTENCY_GET, "SELECT request_hash, status, body FROM idempotency_keys "                 \
                       "WHERE organization_id = $1 AND user_id = $2 AND key = $3 AND created_at >= $4") \
    X(IDEMPOTENCY_PUT, "INSERT INTO idempotency_keys (organization_id, user_id, key, request_hash, " \
                       "status, body, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7) "           \
                       "ON CONFLICT (organization_id, user_id, key) DO UPDATE SET "               \
                       "request_hash = excluded.request_hash, status = excluded.status, "         \
                       "body = excluded.body, created_at = excluded.created_at")                  \
    X(IDEMPOTENCY_PURGE, "WITH d AS (DELETE FROM idempotency_keys WHERE ctid = ANY (ARRAY("       \
                         "SELECT ctid FROM idempotency_keys WHERE created_at < $1 LIMIT $2)) "    \
                         "RETURNING 1) SELECT count(*) FROM d")                                   \
    X(LOCK_JANITOR, "SELECT pg_try_advisory_xact_lock(" PG_STR(PG_CLASS_JANITOR) ", 0)")          \
    /* the event log and the durable event stream */                                              \
    X(EVENT_LOG_INSERT, "INSERT INTO event_logs (" PG_EVENT_LOG_COLS ") "                         \
                        "VALUES ($1, $2, $3, $4, $5, $6, $7, $8)")                                \
    /* a unit's one log row ($1-$8) and one event ($9-$12): one statement, not two */             \
    X(EVENT_LOG_AND_APPEND, "WITH l AS (INSERT INTO event_logs (" PG_EVENT_LOG_COLS ") "          \
                            "VALUES ($1, $2, $3, $4, $5, $6, $7, $8)) INSERT INTO events "         \
                            "(organization_id, name, payload, created_at) VALUES ($9, $10, $11, $12)") \
    X(EVENT_LOG_LIST, "SELECT " PG_EVENT_LOG_COLS PG_EVENT_LOG_WHERE                              \
                      " ORDER BY created_at DESC, id DESC LIMIT $5 OFFSET $6")                    \
    X(EVENT_LOG_COUNT, "SELECT count(*)" PG_EVENT_LOG_WHERE)                                      \
    X(EVENT_APPEND, "INSERT INTO events (organization_id, name, payload, created_at) "            \
                    "VALUES ($1, $2, $3, $4)")                                                    \
    /* ORDER BY id, not EXISTS: only events_unnumbered answers it without reading the table.   \
     * A plan prepared while the table was small scanned every event as the stream grew. */      \
    X(EVENT_PENDING, "SELECT id FROM events WHERE seq IS NULL ORDER BY id LIMIT 1")               \
    X(EVENT_SEQUENCE_LOCK, "SELECT pg_advisory_xact_lock(" PG_STR(PG_CLASS_SEQUENCER) ", 0)")      \
    X(EVENT_SEQUENCE, "WITH todo AS (SELECT id, row_number() OVER (ORDER BY id) AS n FROM "       \
                      "(SELECT id FROM events WHERE seq IS NULL ORDER BY id LIMIT $1) AS t), "    \
                      "base AS (SELECT coalesce(max(seq), 0) AS m FROM events), "                 \
                      "done AS (UPDATE events e SET seq = base.m + todo.n FROM todo, base "       \
                      "WHERE e.id = todo.id RETURNING e.seq) SELECT count(*), max(seq) FROM done") \
    X(EVENT_LIST_AFTER, "SELECT " PG_EVENT_COLS " FROM events WHERE seq > $1 ORDER BY seq LIMIT $2") \
    X(EVENT_LIST_AFTER_ORG, "SELECT " PG_EVENT_COLS " FROM events "                               \
                            "WHERE organization_id = $3 AND seq > $1 ORDER BY seq LIMIT $2")      \
    X(EVENT_LAST_SEQ, "SELECT coalesce(max(seq), 0) FROM events")                                 \
    /* webhooks and their deliveries */                                                           \
    X(WEBHOOK_INSERT, "WITH w AS (INSERT INTO webhooks (id, organization_id, url, secret, "       \
                      "created_by, created_at) VALUES ($2, $1, $3, $4, $5, $6)) "                 \
                      "INSERT INTO webhook_events (organization_id, webhook_id, position, event) " \
                      "SELECT $1, $2, x.pos - 1, x.event FROM unnest($7::text[]) "                \
                      "WITH ORDINALITY AS x(event, pos)")                                         \
    X(WEBHOOK_LIST, "SELECT " PG_WEBHOOK_COLS_OF("w.") " FROM webhooks w "                        \
                    "WHERE w.organization_id = $1 ORDER BY w.created_at, w.id")                   \
    X(WEBHOOK_GET, "SELECT " PG_WEBHOOK_COLS_OF("w.") " FROM webhooks w "                         \
                   "WHERE w.organization_id = $1 AND w.id = $2")                                  \
    X(WEBHOOK_SUBSCRIBERS, "SELECT " PG_WEBHOOK_COLS_OF("w.") " FROM webhooks w "                 \
                           "WHERE w.organization_id = $1 AND EXISTS (SELECT 1 FROM webhook_events e " \
                           "WHERE e.organization_id = $1 AND e.webhook_id = w.id AND e.event = $2) " \
                           "ORDER BY w.created_at, w.id")                                         \
    X(WEBHOOK_DELETE, "WITH d AS (DELETE FROM webhook_deliveries WHERE organization_id = $1 "     \
                      "AND webhook_id = $2), e AS (DELETE FROM webhook_events "                   \
                      "WHERE organization_id = $1 AND webhook_id = $2) "                          \
                      "DELETE FROM webhooks WHERE organization_id = $1 AND id = $2")             \
    X(DELIVERY_INSERT, "INSERT INTO webhook_deliveries (" PG_DELIVERY_COLS ") "                   \
                       "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)")         \
    X(DELIVERY_CLAIM, "UPDATE webhook_deliveries SET next_attempt_at = $4 WHERE organization_id = $1 " \
                      "AND id = $2 AND state = 'pending' AND next_attempt_at <= $3")             \
    X(DELIVERY_UPDATE, "UPDATE webhook_deliveries SET state = $3, attempts = $4, last_status = $5, " \
                       "last_error = $6, next_attempt_at = $7, updated_at = $8 "                  \
                       "WHERE organization_id = $1 AND id = $2")                                  \
    X(DELIVERY_GET, "SELECT " PG_DELIVERY_COLS " FROM webhook_deliveries "                        \
                    "WHERE organization_id = $1 AND id = $2")                                     \
    X(DELIVERY_LIST, "SELECT " PG_DELIVERY_COLS " FROM webhook_deliveries "                       \
                     "WHERE organization_id = $1 AND webhook_id = $2 "                            \
                     "ORDER BY created_at DESC, id DESC LIMIT $3 OFFSET $4")                      \
    X(DELIVERY_COUNT, "SELECT count(*) FROM webhook_deliveries "                                  \
                      "WHERE organization_id = $1 AND webhook_id = $2")                           \
    X(DELIVERY_DUE, "SELECT " PG_DELIVERY_COLS " FROM webhook_deliveries "                        \
                    "WHERE state = 'pending' AND next_attempt_at <= $1 "                          \
                    "ORDER BY next_attempt_at, id LIMIT $2")                                      \
    /* CSV imports (pg_imports.c) */                                                              \
    X(IMPORT_INSERT, "INSERT INTO imports (" PG_IMPORT_COLS ") "                                   \
                     "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)")                \
    X(IMPORT_GET, "SELECT " PG_IMPORT_COLS " FROM imports WHERE organization_id = $1 AND id = $2")  \
    X(IMPORT_COUNTS, "SELECT status, count(*) FROM import_rows WHERE organization_id = $1 "       \
                     "AND import_id = $2 AND status IS NOT NULL GROUP BY status")                 \
    X(IMPORT_ROWS_INSERT, "INSERT INTO import_rows (organization_id, import_id, row, after_row, " \
                          "input) SELECT $1, $2, unnest($3::bigint[]), unnest($4::bigint[]), "    \
                          "unnest($5::text[])")                                                   \
    X(IMPORT_ROWS_PENDING, "SELECT " PG_IMPORT_ROW_COLS " FROM import_rows "                      \
                           "WHERE organization_id = $1 AND import_id = $2 AND status IS NULL "    \
                           "AND row > $3 AND (after_row <> 0) = $4 ORDER BY row LIMIT $5")        \
    X(IMPORT_ROW_DONE, "UPDATE import_rows SET status = $4, contact_id = $5, error = $6, "        \
                       "field = $7, value = $8, message = $9 WHERE organization_id = $1 AND import_id = $2 "    \
                       "AND row = $3 AND status IS NULL")                                         \
    X(IMPORT_ROWS_LIST, "SELECT " PG_IMPORT_ROW_COLS " FROM import_rows "                         \
                        "WHERE organization_id = $1 AND import_id = $2 AND status IS NOT NULL "   \
                        "ORDER BY row LIMIT $3 OFFSET $4")                                        \
    X(IMPORT_ROWS_LIST_STATUS, "SELECT " PG_IMPORT_ROW_COLS " FROM import_rows "                  \
                               "WHERE organization_id = $1 AND import_id = $2 AND status = $5 "   \
                               "ORDER BY row LIMIT $3 OFFSET $4")                                 \
    X(IMPORT_FINISH, "UPDATE imports SET state = $3, error = $4, finished_at = $5 "               \
                     "WHERE organization_id = $1 AND id = $2 AND state = 'running'")              \
    X(IMPORT_CLAIM, "UPDATE imports SET lease_until = $2 WHERE (organization_id, id) = "          \
                    "(SELECT organization_id, id FROM imports WHERE state = 'running' "           \
                    "AND lease_until < $1 ORDER BY created_at, id LIMIT 1 FOR UPDATE SKIP LOCKED) " \
                    "RETURNING organization_id, id")                                              \
    X(IMPORT_RENEW, "UPDATE imports SET lease_until = $3 WHERE organization_id = $1 AND id = $2 " \
                    "AND state = 'running'")                                                      \
    X(IMPORT_PURGE_ROWS, "WITH d AS (DELETE FROM import_rows WHERE (organization_id, import_id, row) IN " \
                         "(SELECT r.organization_id, r.import_id, r.row FROM imports i "          \
                         "JOIN import_rows r ON r.organization_id = i.organization_id "           \
                         "AND r.import_id = i.id WHERE i.state <> 'running' "                     \
                         "AND i.finished_at < $1 LIMIT $2) RETURNING 1) SELECT count(*) FROM d")  \
    X(IMPORT_PURGE_EMPTY, "WITH d AS (DELETE FROM imports WHERE state <> 'running' "              \
                          "AND finished_at < $1 AND NOT EXISTS (SELECT 1 FROM import_rows r "     \
                          "WHERE r.organization_id = imports.organization_id "                    \
                          "AND r.import_id = imports.id) RETURNING 1) SELECT count(*) FROM d")

typedef enum pg_stmt_id {
#define PG_STMT_ENUM(id, sql) PG_##id,
    PG_STATEMENTS(PG_STMT_ENUM)
#undef PG_STMT_ENUM
    PG__COUNT
} pg_stmt_id;

#endif
