/* Setting up a database: init (the schema and a SUPERADMIN) and demo (what `make run` starts
 * with). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <sodium.h>
#include "cli/cli.h"
#include "lib/password.h"
#include "lib/random.h"
#include "service/auth.h"
#include "service/orgs.h"
#include "service/users.h"

int cli_init(const struct cli_options *o)
{
    crm_app app;
    crm_err err = { 0 };
    crm_user admin;
    if (!o->email || !o->password)
        return cli_usage_error("%s", "init needs --email and --password");
    if (strlen(o->password) < PASSWORD_MIN)
        return cli_usage_error("%s", "the password needs at least 8 characters");
    if (cli_open_app(&app, o))
        return 1;
    arena *a = arena_new();
    int rc = user_create_superadmin(&app, o->email, o->password, &admin, a, &err);
    if (rc == 0)
        printf("crmd: database ready; SUPERADMIN %s created\n", admin.email);
    else if (rc == 1)
        printf("crmd: database ready; SUPERADMIN %s already exists, nothing changed\n", admin.email);
    else
        cli_print_err("cannot create the SUPERADMIN", &err);
    arena_destroy(a);
    app_close(&app);
    return rc < 0 ? 1 : 0;
}

/* Logs in and prints the credentials, a token and a ready curl command. */
static int print_login(crm_app *app, const char *label, const char *email, const char *password, bool show_curl,
                       const char *listen)
{
    crm_err err = { 0 };
    crm_user u;
    char *token;
    arena *a = arena_new();
    int rc = auth_login(app, email, password, a, &u, &token, &err);
    if (rc == 0) {
        printf("  %-11s %s / %s\n", label, email, password);
        if (show_curl)
            printf("\nA bearer token for %s (valid 24 h):\n  %s\n\nCreate a contact:\n"
                   "  curl -s -X POST http://%s/api/contact \\\n"
                   "    -H 'Authorization: Bearer %s' -H 'Content-Type: application/json' \\\n"
                   "    -d '{\"firstName\":\"Jane\",\"lastName\":\"Doe\",\"phoneNumber\":\"(212) 555-0143\","
                   "\"email\":\"jane.doe@example.com\"}'\n\n",
                   email, token, listen, token);
    } else {
        cli_print_err(label, &err);
    }
    arena_destroy(a);
    return rc ? 1 : 0;
}

/* The demo data of `make run`: the passwords live in DB.demo next to the database (mode 0600)
 * so a second run can print them again. */
int cli_demo(const struct cli_options *o)
{
    crm_app app;
    crm_err err = { 0 };
    char path[1024], su_pw[32], admin_pw[32];
    const char *su_email = "superadmin@crmd.local", *admin_email = "admin@demo.crmd.local";
    int rc = 1;

    snprintf(path, sizeof path, "%s.demo", strncmp(o->db, "sqlite:", 7) == 0 ? o->db + 7 : "crmd");
    if (cli_open_app(&app, o))
        return 1;
    arena *a = arena_new();
    FILE *f = fopen(path, "r");
    if (f) {
        bool ok = fscanf(f, "%31s %31s", su_pw, admin_pw) == 2;
        fclose(f);
        if (!ok) {
            fprintf(stderr, "crmd: %s is damaged; remove it and the database to start over\n", path);
            goto done;
        }
    } else {
        unsigned char raw[9];
        crm_user su, admin;
        crm_org org;
        random_bytes(raw, sizeof raw);
        snprintf(su_pw, sizeof su_pw, "su-%02x%02x%02x%02x", raw[0], raw[1], raw[2], raw[3]);
        snprintf(admin_pw, sizeof admin_pw, "demo-%02x%02x%02x%02x%02x", raw[4], raw[5], raw[6], raw[7], raw[8]);
        if (user_create_superadmin(&app, su_email, su_pw, &su, a, &err) < 0) {
            cli_print_err("cannot create the SUPERADMIN", &err);
            goto done;
        }
        org_input in = { .name = "Demo Sales Co", .timezone = "America/New_York", .default_country = "US",
                         .admin = { .full_name = "Demo Admin", .email = admin_email, .password = admin_pw } };
        if (org_create(&app, &su, &in, a, &org, &admin, &err) != 0) {
            cli_print_err("cannot create the demo organization", &err);
            goto done;
        }
        umask(077);
        f = fopen(path, "w");
        if (!f || fprintf(f, "%s %s\n", su_pw, admin_pw) < 0 || fclose(f) != 0) {
            fprintf(stderr, "crmd: cannot write %s: %s\n", path, strerror(errno));
            goto done;
        }
    }
    printf("\ncrmd demo logins (kept in %s):\n", path);
    rc = print_login(&app, "SUPERADMIN", su_email, su_pw, false, o->listen) ||
         print_login(&app, "ADMIN", admin_email, admin_pw, true, o->listen);
done:
    arena_destroy(a);
    app_close(&app);
    return rc;
}

