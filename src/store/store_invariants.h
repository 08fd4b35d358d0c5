/* The invariants of crmd's schema that both backends check (`crmd check`), as one X-macro list of
 * (kind, rule, query). Each query returns one row per violation: (organization id or NULL, the
 * records involved). The SQL is common to SQLite and PostgreSQL; what only one backend has (its
 * derived indexes, its own integrity checks) is in its sqlite_check.c / pg_check.c. Where the
 * rules come from: store.h and the service's units of work (a contact has one primary number and
 * a stage of its pipeline, each contact write logs an entry and an event in the same unit, event
 * numbers are never reused or skipped). */
#ifndef CRM_STORE_INVARIANTS_H
#define CRM_STORE_INVARIANTS_H

#define STORE_INVARIANTS(X)                                                                       \
    /* tenancy: every record of an organization names one that exists */                          \
    X(org_missing, "a record belongs to an organization that does not exist",                    \
      "SELECT c.organization_id, 'contact ' || c.id FROM contacts c WHERE NOT EXISTS "            \
      "(SELECT 1 FROM organizations o WHERE o.id = c.organization_id) "                           \
      "UNION ALL SELECT p.organization_id, 'pipeline ' || p.id FROM pipelines p WHERE NOT EXISTS " \
      "(SELECT 1 FROM organizations o WHERE o.id = p.organization_id)")                           \
    X(user_org, "a user's organization is missing, or its role does not fit it (a SUPERADMIN "   \
      "has none, every other role one)",                                                          \
      "SELECT u.organization_id, 'user ' || u.id || ' role ' || u.role FROM users u "             \
      "WHERE u.role NOT IN ('SUPERADMIN', 'ADMIN', 'DEPARTMENT_HEAD', 'SALES_REP') "              \
      "OR (u.role = 'SUPERADMIN') <> (u.organization_id IS NULL) "                                \
      "OR (u.organization_id IS NOT NULL AND NOT EXISTS "                                         \
      "(SELECT 1 FROM organizations o WHERE o.id = u.organization_id))")                          \
    /* phone numbers */                                                                           \
    X(phone_claim_orphan, "a number is claimed by a contact that does not exist",                 \
      "SELECT p.organization_id, 'contact ' || p.contact_id || ' number ' || p.e164 "             \
      "FROM contact_phones p WHERE NOT EXISTS (SELECT 1 FROM contacts c "                         \
      "WHERE c.organization_id = p.organization_id AND c.id = p.contact_id)")                     \
    X(contact_child_orphan, "an email, assignee or verified method belongs to a contact that "   \
      "does not exist",                                                                           \
      "SELECT t.organization_id, 'contact ' || t.contact_id || ' ' || t.what FROM (SELECT "       \
      "organization_id, contact_id, 'email ' || value AS what FROM contact_emails UNION ALL "      \
      "SELECT organization_id, contact_id, 'assignee ' || user_id FROM contact_assignees "        \
      "UNION ALL SELECT organization_id, contact_id, 'verified ' || type || ' ' || value "        \
      "FROM contact_method_verifications) t WHERE NOT EXISTS (SELECT 1 FROM contacts c "          \
      "WHERE c.organization_id = t.organization_id AND c.id = t.contact_id)")                     \
    X(phone_duplicate, "two claims on one number of an organization",                             \
      "SELECT organization_id, 'number ' || e164 || ' claimed ' || count(*) || ' times' "         \
      "FROM contact_phones GROUP BY organization_id, e164 HAVING count(*) > 1")                   \
    X(phone_reserved, "a contact holds a number provisioned to its organization or to a user",   \
      "SELECT p.organization_id, 'contact ' || p.contact_id || ' number ' || p.e164 "             \
      "FROM contact_phones p WHERE EXISTS (SELECT 1 FROM org_phone_numbers n "                    \
      "WHERE n.organization_id = p.organization_id AND n.e164 = p.e164) OR EXISTS "               \
      "(SELECT 1 FROM users u WHERE u.organization_id = p.organization_id "                       \
      "AND u.sinch_phone_number = p.e164)")                                                       \
    X(contact_phones, "a contact does not have exactly one primary number among its phoneNumber " \
      "list (secondary numbers are never primary)",                                               \
      "SELECT c.organization_id, 'contact ' || c.id FROM contacts c LEFT JOIN (SELECT "           \
      "organization_id, contact_id, count(CASE WHEN p.is_primary AND NOT p.is_secondary THEN 1 END) " \
      "AS primaries, count(CASE WHEN p.is_primary AND p.is_secondary THEN 1 END) AS secondaries " \
      "FROM contact_phones p GROUP BY organization_id, contact_id) n "                            \
      "ON n.organization_id = c.organization_id AND n.contact_id = c.id "                         \
      "WHERE coalesce(n.primaries, 0) <> 1 OR n.secondaries <> 0")                                \
    /* pipelines, owners, assignees */                                                            \
    X(contact_stage, "a contact's stage is not a stage of its pipeline in its organization",      \
      "SELECT c.organization_id, 'contact ' || c.id || ' pipeline ' || c.pipeline_id || "         \
      "' stage ' || c.stage_id FROM contacts c WHERE NOT EXISTS (SELECT 1 FROM pipeline_stages s " \
      "JOIN pipelines p ON p.organization_id = s.organization_id AND p.id = s.pipeline_id "       \
      "WHERE s.organization_id = c.organization_id AND s.id = c.stage_id "                        \
      "AND s.pipeline_id = c.pipeline_id)")                                                       \
    X(contact_status, "a contact's status is not the name of its stage",                         \
      "SELECT c.organization_id, 'contact ' || c.id || ' status ' || c.status || ' stage ' || "   \
      "s.name FROM contacts c JOIN pipeline_stages s ON s.organization_id = c.organization_id "    \
      "AND s.id = c.stage_id WHERE c.status <> s.name")                                           \
    X(contact_user, "a contact's owner or creator is not a user of its organization",            \
      "SELECT c.organization_id, 'contact ' || c.id || ' user ' || c.user_id || ' created by ' || " \
      "c.created_by FROM contacts c WHERE NOT EXISTS (SELECT 1 FROM users u WHERE u.id = c.user_id " \
      "AND u.organization_id = c.organization_id) OR NOT EXISTS (SELECT 1 FROM users u "          \
      "WHERE u.id = c.created_by AND u.organization_id = c.organization_id)")                     \
    X(assignee_user, "a contact is assigned to someone who is not a user of its organization",   \
      "SELECT a.organization_id, 'contact ' || a.contact_id || ' assignee ' || a.user_id "        \
      "FROM contact_assignees a WHERE NOT EXISTS (SELECT 1 FROM users u WHERE u.id = a.user_id "  \
      "AND u.organization_id = a.organization_id)")                                               \
    /* the event log and the event stream: every contact write logs one of each, in its unit */   \
    X(contact_unlogged, "a contact has no CONTACT_CREATE entry in the event log",                 \
      "SELECT c.organization_id, 'contact ' || c.id FROM contacts c WHERE NOT EXISTS "            \
      "(SELECT 1 FROM event_logs l WHERE l.organization_id = c.organization_id "                  \
      "AND l.contact_id = c.id AND l.type = 'CONTACT_CREATE')")                                   \
    X(contact_lost, "the event log shows a contact created and never deleted, and it is gone",   \
      "SELECT l.organization_id, 'contact ' || l.contact_id FROM event_logs l "                   \
      "WHERE l.type = 'CONTACT_CREATE' AND NOT EXISTS (SELECT 1 FROM contacts c "                 \
      "WHERE c.organization_id = l.organization_id AND c.id = l.contact_id) AND NOT EXISTS "      \
      "(SELECT 1 FROM event_logs d WHERE d.organization_id = l.organization_id "                  \
      "AND d.contact_id = l.contact_id AND d.type = 'CONTACT_DELETE')")                           \
    X(event_count, "an organization's event-log entries and events differ in number (each "       \
      "contact write appends one of each)",                                                       \
      "SELECT coalesce(l.o, e.o), 'event-log entries ' || coalesce(l.n, 0) || ' events ' || "     \
      "coalesce(e.n, 0) FROM (SELECT organization_id AS o, count(*) AS n FROM event_logs "        \
      "GROUP BY organization_id) l FULL JOIN (SELECT organization_id AS o, count(*) AS n "        \
      "FROM events GROUP BY organization_id) e ON e.o = l.o "                                     \
      "WHERE coalesce(l.n, 0) <> coalesce(e.n, 0)")                                               \
    X(event_seq_gap, "event numbers are not 1, 2, 3... without a gap",                            \
      "SELECT e.organization_id, 'event ' || e.seq || ' follows no event ' || (e.seq - 1) "       \
      "FROM events e WHERE e.seq > 1 AND NOT EXISTS (SELECT 1 FROM events p "                     \
      "WHERE p.seq = e.seq - 1) UNION ALL SELECT NULL, 'first event ' || min(seq) "               \
      "FROM events HAVING min(seq) <> 1")                                                         \
    X(delivery_event, "a webhook delivery names an event that does not exist",                    \
      "SELECT d.organization_id, 'delivery ' || d.id || ' event ' || d.event_seq "                \
      "FROM webhook_deliveries d WHERE NOT EXISTS (SELECT 1 FROM events e "                       \
      "WHERE e.seq = d.event_seq AND e.organization_id = d.organization_id)")

/* The sizes the report states, in the same snapshot. */
#define STORE_INVARIANTS_STATS                                                                    \
    "SELECT (SELECT count(*) FROM organizations), (SELECT count(*) FROM users), "                 \
    "(SELECT count(*) FROM contacts), (SELECT count(*) FROM events)"

#endif
