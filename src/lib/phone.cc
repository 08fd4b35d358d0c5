// phone.h's C functions over libphonenumber's PhoneNumberUtil: parse any human format with a
// default region, validate, and format E.164. No C++ exception ever crosses into C.
#include <cstdlib>
#include <cstring>
#include <new>
#include <set>
#include <string>

#include <phonenumbers/logger.h>
#include <phonenumbers/phonenumber.pb.h>
#include <phonenumbers/phonenumberutil.h>

extern "C" {
#include "lib/phone.h"
#include "lib/utf8.h"
}

namespace {

using i18n::phonenumbers::NullLogger;
using i18n::phonenumbers::PhoneNumber;
using i18n::phonenumbers::PhoneNumberUtil;

// Longest input we hand to the library. Real numbers with all their punctuation, even with an
// extension, fit; anything longer is junk and only costs regex time.
const size_t INPUT_MAX = 64;

PhoneNumberUtil *util()
{
    // Function-local static: initialized once, thread-safely (C++11). The library would
    // otherwise print parse failures of client input on stdout; SetLogger takes ownership.
    static PhoneNumberUtil *u = [] {
        PhoneNumberUtil *p = PhoneNumberUtil::GetInstance();
        p->SetLogger(new NullLogger());
        return p;
    }();
    return u;
}

const std::set<std::string> &regions()
{
    static const std::set<std::string> r = [] {
        std::set<std::string> s;
        util()->GetSupportedRegions(&s);
        return s;
    }();
    return r;
}

bool blank(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

phone_result from_parse(PhoneNumberUtil::ErrorType e)
{
    switch (e) {
    case PhoneNumberUtil::NO_PARSING_ERROR: return PHONE_OK;
    case PhoneNumberUtil::INVALID_COUNTRY_CODE_ERROR: return PHONE_INVALID_COUNTRY;
    case PhoneNumberUtil::NOT_A_NUMBER: return PHONE_NOT_A_NUMBER;
    case PhoneNumberUtil::TOO_SHORT_AFTER_IDD: return PHONE_TOO_SHORT;
    case PhoneNumberUtil::TOO_SHORT_NSN: return PHONE_TOO_SHORT;
    case PhoneNumberUtil::TOO_LONG_NSN: return PHONE_TOO_LONG;
    }
    return PHONE_NOT_A_NUMBER;
}

phone_result from_possible(PhoneNumberUtil::ValidationResult v)
{
    switch (v) {
    case PhoneNumberUtil::IS_POSSIBLE: return PHONE_OK;
    // A number dialable only inside its area (a US number without area code) cannot be
    // stored in E.164: to the user it is a number with digits missing.
    case PhoneNumberUtil::IS_POSSIBLE_LOCAL_ONLY: return PHONE_TOO_SHORT;
    case PhoneNumberUtil::INVALID_COUNTRY_CODE: return PHONE_INVALID_COUNTRY;
    case PhoneNumberUtil::TOO_SHORT: return PHONE_TOO_SHORT;
    case PhoneNumberUtil::INVALID_LENGTH: return PHONE_INVALID;
    case PhoneNumberUtil::TOO_LONG: return PHONE_TOO_LONG;
    }
    return PHONE_INVALID;
}

phone_result normalize(const char *input, const char *region, char out[PHONE_E164_MAX])
{
    const char *b = input, *e;
    while (blank(*b))
        b++;
    e = b + std::strlen(b);
    while (e > b && blank(e[-1]))
        e--;
    if (e == b)
        return PHONE_EMPTY;
    if (static_cast<size_t>(e - b) > INPUT_MAX)
        return PHONE_TOO_LONG;
    // The library decodes UTF-8 (it accepts full-width and other Unicode digits); it is not
    // written for malformed input, so that never reaches it.
    if (!utf8_valid(b, static_cast<size_t>(e - b)))
        return PHONE_NOT_A_NUMBER;

    // An unknown or absent region is "ZZ": only numbers written with '+' (or an
    // international prefix the library recognizes) can then be read.
    std::string reg = "ZZ";
    if (region && std::strlen(region) == 2 && regions().count(region))
        reg = region;

    PhoneNumber num;
    PhoneNumberUtil *u = util();
    phone_result r = from_parse(u->Parse(std::string(b, e), reg, &num));
    if (r != PHONE_OK)
        return r;
    r = from_possible(u->IsPossibleNumberWithReason(num));
    if (r != PHONE_OK)
        return r;
    if (!u->IsValidNumber(num))
        return PHONE_INVALID;
    std::string e164;
    u->Format(num, PhoneNumberUtil::E164, &e164);
    if (e164.size() >= PHONE_E164_MAX)
        return PHONE_TOO_LONG;   // cannot happen for a valid number; never overflow out
    std::memcpy(out, e164.c_str(), e164.size() + 1);
    return PHONE_OK;
}

}  // namespace

extern "C" enum phone_result phone_normalize(const char *input, const char *region,
                                             char out[PHONE_E164_MAX])
{
    if (out)
        out[0] = '\0';
    if (!input)
        return PHONE_EMPTY;
    if (!out)
        return PHONE_INVALID;
    try {
        return normalize(input, region, out);
    } catch (const std::bad_alloc &) {
        std::abort();   // crmd's rule: out of memory aborts
    } catch (...) {
        out[0] = '\0';
        return PHONE_NOT_A_NUMBER;
    }
}

extern "C" const char *phone_result_message(enum phone_result r)
{
    switch (r) {
    case PHONE_OK: return "Valid phone number";
    case PHONE_EMPTY: return "Phone number is empty";
    case PHONE_NOT_A_NUMBER: return "Not a phone number";
    case PHONE_INVALID_COUNTRY: return "Unknown country calling code; write the number with +country code";
    case PHONE_TOO_SHORT: return "Phone number is too short";
    case PHONE_TOO_LONG: return "Phone number is too long";
    case PHONE_INVALID: return "Phone number is not valid for its country";
    }
    return "Invalid phone number";
}

extern "C" bool phone_region_supported(const char *region)
{
    if (!region)
        return false;
    try {
        return std::strlen(region) == 2 && regions().count(region) != 0;
    } catch (const std::bad_alloc &) {
        std::abort();
    } catch (...) {
        return false;
    }
}
