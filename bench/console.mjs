// The web console with many contacts, in Debian's headless Chromium: seeds one organization
// (default 10,000 contacts), then prints the console's transfer size, the time to the first rows,
// the time to page through every contact by cursor, and the frame times while the table scrolls
// through all of them (the table renders a window of rows, not all of them).
// Usage: node bench/console.mjs [contacts]   (after `make build/crmd`; npm ci in tests/browser)
import { Crmd, usPhone } from "../tests/realtime/harness.mjs";
import { launch, openPage, signIn } from "../tests/browser/browser.mjs";

const N = Number(process.argv[2] || 10000);
const srv = new Crmd({ CRMD_RATE_LIMIT: "0" });
await srv.start();
const browser = await launch();
try {
  const org = await srv.org("Bench");
  let t = performance.now();
  for (let i = 0; i < N; i += 32)
    await Promise.all(Array.from({ length: Math.min(32, N - i) }, (_, j) =>
      srv.req("POST", "/api/contact", { firstName: `Lead${i + j}`, lastName: "Bench", phoneNumber: usPhone() }, org.token)
        .then((r) => { if (r.status !== 201) throw new Error(r.text); })));
  console.log(`seeded ${N} contacts in ${((performance.now() - t) / 1000).toFixed(1)} s`);

  const { page, check, close } = await openPage(browser, srv.base);
  let bytes = 0;
  page.on("response", async (r) => {
    if (new URL(r.url()).pathname === "/" || r.url().includes("/assets/"))
      bytes += Number(r.headers()["content-length"] || 0);
  });
  t = performance.now();
  await signIn(page, srv.base, org.email, org.password);
  await page.locator("tr[data-id]").first().waitFor();
  console.log(`page, sign in and first ${Math.min(N, 100)} rows: ${(performance.now() - t).toFixed(0)} ms; ` +
              `console transferred ${(bytes / 1024).toFixed(1)} KiB (gzip)`);

  t = performance.now();
  const box = page.locator(".table-box");
  while (!(await page.getByText(`${N} loaded`).count())) {
    await box.evaluate((el) => { el.scrollTop = el.scrollHeight; });
    await page.waitForTimeout(20);
  }
  console.log(`all ${N} rows paged in by cursor (100 a request): ${(performance.now() - t).toFixed(0)} ms`);

  // Scroll from the top to the bottom in 240 animation frames, as a fast flick would.
  const frames = await box.evaluate((el) => new Promise((done) => {
    el.scrollTop = 0;
    const step = (el.scrollHeight - el.clientHeight) / 240, times = [];
    let last = performance.now(), n = 0;
    function frame(now) {
      times.push(now - last);
      last = now;
      el.scrollTop += step;
      if (++n < 240) requestAnimationFrame(frame); else done(times.slice(1));
    }
    requestAnimationFrame(frame);
  }));
  frames.sort((a, b) => a - b);
  const pct = (p) => frames[Math.min(frames.length - 1, Math.floor(frames.length * p))].toFixed(1);
  const rows = await page.locator("tr[data-id]").count();
  console.log(`scrolling ${N} rows: frame p50 ${pct(0.5)} ms, p95 ${pct(0.95)} ms, max ${frames[frames.length - 1].toFixed(1)} ms, ` +
              `${frames.filter((f) => f > 50).length} of ${frames.length} frames over 50 ms; ${rows} rows in the DOM`);
  check();
  await close();
} finally {
  await browser.close();
  await srv.stop();
}
