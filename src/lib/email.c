/* Email normalization: trimmed, lower-cased, and checked against a strict subset of RFC 5321
 * (dot-atom local part, LDH host names) that every mail system accepts. */
#include "lib/email.h"

#include <string.h>

#define LOCAL_MAX 64
#define LABEL_MAX 63

static bool blank(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

/* RFC 5322 atext. Quoted local parts and IP-literal domains are refused on purpose: they
 * are legal but in a CRM they are far more often typos or attacks than real addresses. */
static bool atext(char c)
{
    if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))
        return true;
    return c != '\0' && strchr("!#$%&'*+-/=?^_`{|}~", c) != NULL;
}

static bool local_ok(const char *s, size_t n)
{
    if (n == 0 || n > LOCAL_MAX || s[0] == '.' || s[n - 1] == '.')
        return false;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '.') {
            if (s[i + 1] == '.')
                return false;
        } else if (!atext(s[i])) {
            return false;
        }
    }
    return true;
}

static bool domain_ok(const char *s, size_t n)
{
    size_t start = 0, labels = 0;
    bool alpha_only = true;
    for (size_t i = 0; i <= n; i++) {
        if (i == n || s[i] == '.') {
            size_t len = i - start;
            if (len == 0 || len > LABEL_MAX || s[start] == '-' || s[i - 1] == '-')
                return false;
            labels++;
            if (i == n)
                break;
            start = i + 1;
            alpha_only = true;
            continue;
        }
        char c = s[i];
        if (c >= 'a' && c <= 'z')
            continue;
        if ((c >= '0' && c <= '9') || c == '-')
            alpha_only = false;
        else
            return false;
    }
    /* alpha_only now describes the last label: the TLD is letters, at least two. */
    return labels >= 2 && alpha_only && n - start >= 2;
}

bool email_normalize(const char *input, char out[EMAIL_MAX + 1])
{
    const char *b, *e, *at = NULL;
    size_t n;
    bool ok = false;
    if (!out)
        return false;
    out[0] = '\0';
    if (!input)
        goto done;
    b = input;
    while (blank(*b))
        b++;
    e = b + strlen(b);
    while (e > b && blank(e[-1]))
        e--;
    n = (size_t)(e - b);
    if (n == 0 || n > EMAIL_MAX)
        goto done;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)b[i];
        /* Spaces, controls, DEL and every non-ASCII byte (no SMTPUTF8 addresses). */
        if (c <= 0x20 || c >= 0x7F)
            goto done;
        if (c == '@') {
            if (at)
                goto done;
            at = out + i;
        }
        out[i] = (char)(c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c);
    }
    out[n] = '\0';
    ok = at && local_ok(out, (size_t)(at - out)) &&
         domain_ok(at + 1, n - (size_t)(at - out) - 1);
done:
    if (!ok)
        out[0] = '\0';   /* never hand back a half-normalized address */
    return ok;
}
