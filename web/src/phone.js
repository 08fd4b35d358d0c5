// Phone numbers as people read them: the organization's national format for its own country,
// the international format for others; the stored E.164 always alongside.
import { parsePhoneNumberFromString } from "libphonenumber-js/min";

// {text, e164}: text is what the table shows, e164 what a title or a second line shows.
export function displayPhone(e164, country) {
  const p = typeof e164 === "string" ? parsePhoneNumberFromString(e164) : undefined;
  if (!p) return { text: String(e164 ?? ""), e164: String(e164 ?? "") };
  const text = country && p.country === country ? p.formatNational() : p.formatInternational();
  return { text, e164: p.number };
}

// The primary number of a contact (or its first), or null.
export function primaryPhone(contact) {
  const list = contact?.phoneNumber ?? [];
  return (list.find((p) => p.isPrimary) ?? list[0])?.value ?? null;
}
