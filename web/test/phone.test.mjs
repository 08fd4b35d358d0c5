import { test } from "node:test";
import assert from "node:assert/strict";
import { getCountryCallingCode } from "libphonenumber-js/min";
import { displayPhone, primaryPhone } from "../src/phone.js";

test("a number of the organization's calling code is shown in national format", () => {
  assert.deepEqual(displayPhone("+12125550143", "US"), { text: "(212) 555-0143", e164: "+12125550143" });
  // Canada shares +1: a US organization dials it the same way
  assert.deepEqual(displayPhone("+14165550199", "US"), { text: "(416) 555-0199", e164: "+14165550199" });
  assert.deepEqual(displayPhone("+442079460958", "GB"), { text: "020 7946 0958", e164: "+442079460958" });
});

test("a foreign number is shown in international format", () => {
  assert.deepEqual(displayPhone("+442079460958", "US"), { text: "+44 20 7946 0958", e164: "+442079460958" });
  assert.deepEqual(displayPhone("+12125550143", "GB"), { text: "+1 212 555 0143", e164: "+12125550143" });
});

test("an unknown or missing country falls back to international", () => {
  assert.equal(displayPhone("+12125550143", null).text, "+1 212 555 0143");
  assert.equal(displayPhone("+12125550143", "ZZ").text, "+1 212 555 0143");
});

test("stored numbers read the same as the parser reads them, in both formats", async () => {
  const { parsePhoneNumberFromString } = await import("libphonenumber-js/min");
  const numbers = ["+12125550143", "+14165550199", "+18765551234", "+442079460958", "+447911123456", "+4915123456789",
    "+33612345678", "+8613812345678", "+61412345678", "+79161234567", "+77011234567", "+390212345678", "+5511912345678",
    "+97142345678", "+919812345678", "+35312345678"];
  for (const n of numbers) {
    const p = parsePhoneNumberFromString(n);
    for (const country of ["US", "GB", "DE", "RU", "KZ", "IT", "BR"])
      assert.equal(displayPhone(n, country).text, p.countryCallingCode === getCountryCallingCode(country) ? p.formatNational() : p.formatInternational(), `${n} for ${country}`);
  }
  // a calling code that does not exist is left to the parser (which gives up)
  assert.deepEqual(displayPhone("+9991234567", "US"), { text: "+9991234567", e164: "+9991234567" });
});

test("what is not a number is shown as it is", () => {
  assert.deepEqual(displayPhone("not a phone", "US"), { text: "not a phone", e164: "not a phone" });
  assert.deepEqual(displayPhone(null, "US"), { text: "", e164: "" });
});

test("the primary number, else the first, else null", () => {
  assert.equal(primaryPhone({ phoneNumber: [{ value: "+1", isPrimary: false }, { value: "+2", isPrimary: true }] }), "+2");
  assert.equal(primaryPhone({ phoneNumber: [{ value: "+1" }, { value: "+2" }] }), "+1");
  assert.equal(primaryPhone({ phoneNumber: [] }), null);
  assert.equal(primaryPhone(null), null);
});
