// Phone numbers as people read them: the national format for a number that shares the
// organization's country calling code (a US organization reads a Toronto number as
// (416) 555-0199, as it would dial it), the international format for others; the stored E.164
// always alongside.
import { getCountryCallingCode, parsePhoneNumberFromString, PhoneNumber } from "libphonenumber-js/min";

function callingCode(country) {
  try { return country ? getCountryCallingCode(country) : null; } catch { return null; }
}

// A stored number as libphonenumber reads it. What the server stored is E.164, whose calling code
// the constructor takes directly: it skips finding the country among those that share the code
// (the costly half of parsing, 1,000 board cards at once), and the formats are the calling
// code's either way. Anything else goes through the parser.
function parse(value) {
  if (typeof value !== "string") return undefined;
  if (/^\+[1-9]\d{6,14}$/.test(value)) {
    try { return new PhoneNumber(value); } catch { /* not a known calling code: the parser decides */ }
  }
  return parsePhoneNumberFromString(value);
}

// Formatted numbers by country and value: a board reloaded or a table scrolled formats nothing twice.
const formatted = new Map();

// {text, e164}: text is what the table shows, e164 what a title or a second line shows.
export function displayPhone(e164, country) {
  const key = `${country}|${e164}`;
  let d = formatted.get(key);
  if (d) return d;
  const p = parse(e164);
  if (!p) d = { text: String(e164 ?? ""), e164: String(e164 ?? "") };
  else d = { text: p.countryCallingCode === callingCode(country) ? p.formatNational() : p.formatInternational(), e164: p.number };
  if (formatted.size >= 50000) formatted.clear();
  formatted.set(key, d);
  return d;
}

// The primary number of a contact (or its first), or null.
export function primaryPhone(contact) {
  const list = contact?.phoneNumber ?? [];
  return (list.find((p) => p.isPrimary) ?? list[0])?.value ?? null;
}
