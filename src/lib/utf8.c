/* Strict UTF-8 checks and trimming shared by every validator of request text. */
#include "lib/utf8.h"

/* Length of the sequence starting at s[i] (1..4), or 0 when it is not well-formed UTF-8 as
 * defined by RFC 3629 / Unicode table 3-7: no overlongs, no surrogates, nothing past
 * U+10FFFF, no truncated sequence. NUL is refused too: C strings would silently cut there. */
static size_t seq_len(const unsigned char *s, size_t i, size_t len)
{
    unsigned char c = s[i], lo = 0x80, hi = 0xBF;
    size_t n;
    if (c == 0)
        return 0;
    if (c < 0x80)
        return 1;
    if (c >= 0xC2 && c <= 0xDF)
        n = 2;
    else if (c >= 0xE0 && c <= 0xEF)
        n = 3;
    else if (c >= 0xF0 && c <= 0xF4)
        n = 4;
    else
        return 0;   /* continuation byte, C0/C1 overlong lead, or F5..FF */
    /* The second byte's range is what excludes overlongs, surrogates and > U+10FFFF. */
    if (c == 0xE0)
        lo = 0xA0;
    else if (c == 0xED)
        hi = 0x9F;
    else if (c == 0xF0)
        lo = 0x90;
    else if (c == 0xF4)
        hi = 0x8F;
    if (len - i < n)
        return 0;
    if (s[i + 1] < lo || s[i + 1] > hi)
        return 0;
    for (size_t k = 2; k < n; k++)
        if ((s[i + k] & 0xC0) != 0x80)
            return 0;
    return n;
}

bool utf8_valid(const char *s, size_t len)
{
    const unsigned char *u = (const unsigned char *)s;
    if (!s)
        return len == 0;
    for (size_t i = 0; i < len;) {
        size_t n = seq_len(u, i, len);
        if (n == 0)
            return false;
        i += n;
    }
    return true;
}

size_t utf8_length(const char *s, size_t len)
{
    size_t count = 0;
    if (!s)
        return 0;
    /* Counts every byte that does not continue a sequence; exact on valid input. */
    for (size_t i = 0; i < len; i++)
        if (((unsigned char)s[i] & 0xC0) != 0x80)
            count++;
    return count;
}

static bool blank(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

char *str_trim(char *s)
{
    char *end;
    if (!s)
        return NULL;
    while (blank(*s))
        s++;
    end = s;
    while (*end)
        end++;
    while (end > s && blank(end[-1]))
        end--;
    *end = '\0';
    return s;
}
