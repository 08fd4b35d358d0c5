// Phone numbers as people read them: the national format for a number that shares the
// organization's country calling code (a US organization reads a Toronto number as
// (416) 555-0199, as it would dial it), the international format for others; the stored E.164
// always alongside.
import { getCountryCallingCode, parsePhoneNumberFromString } from "libphonenumber-js/min";

function callingCode(country) {
  try { return country ? getCountryCallingCode(country) : null; } catch { return null; }
}

// {text, e164}: text is what the table shows, e164 what a title or a second line shows.
export function displayPhone(e164, country) {
  const p = typeof e164 === "string" ? parsePhoneNumberFromString(e164) : undefined;
  if (!p) return { text: String(e164 ?? ""), e164: String(e164 ?? "") };
  const text = p.countryCallingCode === callingCode(country) ? p.formatNational() : p.formatInternational();
  return { text, e164: p.number };
}

// The primary number of a contact (or its first), or null.
export function primaryPhone(contact) {
  const list = contact?.phoneNumber ?? [];
  return (list.find((p) => p.isPrimary) ?? list[0])?.value ?? null;
}
