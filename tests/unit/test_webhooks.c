/* Unit tests for service/webhooks: the URL rule, event names, state names and the payload shape. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>

#include "service/webhooks.h"
#include "tap.h"

static const char *const good_urls[] = {
    "http://example.com",
    "https://example.com/",
    "HTTPS://Example.COM/Path?q=1&r=%20#",   /* replaced below: fragments are refused */
    "http://[2001:db8::1]/",
    "http://203.0.113.7:8080/hook",
    "http://db.internal:8080/x",   /* a name: checked when the sender connects */
    "https://a-b.example.co.uk:443/p/a/t/h?x=y",
    "http://host_name.internal/hook",
    "http://example.com:65535",
    "http://example.com?x",
};

static const char *const bad_urls[] = {
    "", "ftp://example.com/", "javascript:alert(1)", "javascript://example.com/%0aalert(1)",
    "file:///etc/passwd", "data:text/plain,hi", "//example.com/", "/hook", "example.com",
    "http://", "https://", "http:///x", "http://:80/", "http://user@example.com/",
    "http://user:pw@example.com/", "http://example.com/#frag", "http://example.com#",
    "http://example.com:0/", "http://example.com:65536/", "http://example.com:123456/", "http://example.com:/",
    "http://example.com:8o/", "http://exa mple.com/", "http://example.com/a b", "http://example.com/\xc3\xa9",
    "http://example.com\\@evil.com/", "http://[::1/", "http://[]/", "http://[::g]/", " http://example.com/",
    "http://example.com/\t", "http://.example.com/", "http://-example.com/", "http://exa%6dple.com/",
    "http:/example.com", "httpx://example.com",
};

/* IP literals a tenant may not aim at, unless the operator allows it. */
static const char *const private_urls[] = {
    "http://127.0.0.1:8080/hook", "http://[::1]:9000/x", "http://10.1.2.3/", "http://172.16.0.1/",
    "http://192.168.1.1/", "http://169.254.169.254/latest/meta-data/", "http://0.0.0.0:80/",
    "http://100.64.0.1/", "http://[fc00::1]/", "http://[fe80::1]/", "http://[::ffff:127.0.0.1]/",
    "http://224.0.0.1/", "http://255.255.255.255/",
    /* the same addresses as the resolver and libcurl also read them */
    "http://localhost:8080/x", "http://api.localhost/", "http://2130706433/", "http://0x7f000001/",
    "http://0177.0.0.1/", "http://0x7f.0.0.1/", "http://127.1/", "http://0/", "http://127.0.0.1./",
    "http://2852039166/", "http://[::ffff:7f00:1]/", "http://[2002:a9fe:a9fe::]/",
};

static void test_urls(void)
{
    crm_err err;
    for (size_t i = 0; i < sizeof good_urls / sizeof good_urls[0]; i++) {
        const char *u = good_urls[i];
        if (strchr(u, '#'))
            u = "HTTPS://Example.COM/Path?q=1&r=%20";
        memset(&err, 0, sizeof err);
        ok(webhook_url_check(u, &err) == 0, "accepts %s (%s)", u, err.message);
    }
    for (size_t i = 0; i < sizeof bad_urls / sizeof bad_urls[0]; i++) {
        memset(&err, 0, sizeof err);
        int rc = webhook_url_check(bad_urls[i], &err);
        ok(rc == -CRM_E_VALIDATION_FAILED && strcmp(err.field, "url") == 0, "refuses url #%zu", i);
    }
    memset(&err, 0, sizeof err);
    ok(webhook_url_check(NULL, &err) == -CRM_E_VALIDATION_FAILED, "refuses NULL");
    unsetenv("CRMD_WEBHOOK_ALLOW_PRIVATE");
    for (size_t i = 0; i < sizeof private_urls / sizeof private_urls[0]; i++) {
        memset(&err, 0, sizeof err);
        int rc = webhook_url_check(private_urls[i], &err);
        ok(rc == -CRM_E_VALIDATION_FAILED && strstr(err.message, "CRMD_WEBHOOK_ALLOW_PRIVATE"),
           "refuses %s by default", private_urls[i]);
    }
    setenv("CRMD_WEBHOOK_ALLOW_PRIVATE", "1", 1);
    for (size_t i = 0; i < sizeof private_urls / sizeof private_urls[0]; i++) {
        memset(&err, 0, sizeof err);
        ok(webhook_url_check(private_urls[i], &err) == 0, "accepts %s when the operator allows it", private_urls[i]);
    }
    unsetenv("CRMD_WEBHOOK_ALLOW_PRIVATE");

    static char longu[WEBHOOK_URL_MAX + 2];
    strcpy(longu, "http://example.com/");
    memset(longu + strlen(longu), 'a', WEBHOOK_URL_MAX - strlen(longu));
    longu[WEBHOOK_URL_MAX] = '\0';
    memset(&err, 0, sizeof err);
    ok(webhook_url_check(longu, &err) == 0, "accepts exactly 2048 bytes");
    longu[WEBHOOK_URL_MAX] = 'a';
    longu[WEBHOOK_URL_MAX + 1] = '\0';
    memset(&err, 0, sizeof err);
    ok(webhook_url_check(longu, &err) == -CRM_E_VALIDATION_FAILED, "refuses 2049 bytes");
}

static void test_names(void)
{
    ok(webhook_event_known("contact_created"), "contact_created is known");
    ok(webhook_event_known("contact_updated"), "contact_updated is known");
    ok(webhook_event_known("contact_removed"), "contact_removed is known");
    ok(!webhook_event_known("contact_deleted"), "contact_deleted is not");
    ok(!webhook_event_known("CONTACT_CREATED"), "names are case-sensitive");
    ok(!webhook_event_known(""), "empty is not");
    is_str(webhook_delivery_state_name(DELIVERY_PENDING), "pending", "pending");
    is_str(webhook_delivery_state_name(DELIVERY_SUCCEEDED), "succeeded", "succeeded");
    is_str(webhook_delivery_state_name(DELIVERY_FAILED), "failed", "failed");
}

static void test_payload(void)
{
    arena *a = arena_new();
    const char *org = "0123456789abcdef01234567", *id = "aaaaaaaaaaaaaaaaaaaaaaaa";
    char *text = webhook_payload(id, "contact_created", 42, org, 1777645800000LL, "{\"contact\":{\"_id\":\"x\"}}", a);
    json_t *j = json_loads(text, 0, NULL);
    ok(json_is_object(j), "payload is a JSON object");
    is_str(json_string_value(json_object_get(j, "id")), id, "id is the delivery id");
    is_str(json_string_value(json_object_get(j, "event")), "contact_created", "event");
    is_int(json_integer_value(json_object_get(j, "seq")), 42, "seq");
    is_str(json_string_value(json_object_get(j, "organizationId")), org, "organizationId");
    is_str(json_string_value(json_object_get(j, "createdAt")), "2026-05-01T14:30:00.000Z", "createdAt");
    is_str(json_string_value(json_object_get(json_object_get(json_object_get(j, "data"), "contact"), "_id")), "x",
           "data is the event payload");
    is_int(json_object_size(j), 6, "exactly six keys");
    ok(strncmp(text, "{\"id\":", 6) == 0, "compact, id first: %.40s", text);
    json_decref(j);
    text = webhook_payload(id, "contact_removed", 1, org, 0, "not json", a);
    j = json_loads(text, 0, NULL);
    ok(json_is_null(json_object_get(j, "data")), "an unreadable payload becomes null");
    json_decref(j);
    arena_destroy(a);
}

int main(void)
{
    test_urls();
    test_names();
    test_payload();
    return tap_done();
}
