// The web console with many contacts, in Debian's headless Chromium: seeds one organization
// (default 10,000 contacts), then prints the console's transfer size, the time to the first rows,
// the time to page through every contact by cursor, and the frame times while the table scrolls
// through all of them (the table renders a window of rows, not all of them). Then the pipeline
// board: a second organization with [board cards] contacts (default 1,000) spread over the five
// stages, shown 200 a column, and the time from the reply of POST /api/contacts to the cards on
// screen (the console's own performance.measure "crmd-board-render", taken after the paint).
// Usage: node bench/console.mjs [contacts] [board cards]   (0 contacts: the board only)
// (after `make build/crmd`; npm ci in tests/browser)
import { Crmd, usPhone } from "../tests/realtime/harness.mjs";
import { launch, openPage, signIn, until } from "../tests/browser/browser.mjs";

const N = Number(process.argv[2] ?? 10000);
const CARDS = Number(process.argv[3] || 1000);
const STAGES = ["New Lead", "Contacted", "Qualified", "Won", "Lost"];
const srv = new Crmd({ CRMD_RATE_LIMIT: "0" });
await srv.start();
const browser = await launch();
async function seed(org, n, body) {
  for (let i = 0; i < n; i += 32)
    await Promise.all(Array.from({ length: Math.min(32, n - i) }, (_, j) =>
      srv.req("POST", "/api/contact", { phoneNumber: usPhone(), ...body(i + j) }, org.token)
        .then((r) => { if (r.status !== 201) throw new Error(r.text); })));
}

async function table() {
  const org = await srv.org("Bench");
  let t = performance.now();
  await seed(org, N, (i) => ({ firstName: `Lead${i}`, lastName: "Bench" }));
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
}

// The board with CARDS cards at once: Cards per column from 20 to 200 (a fresh load each time).
async function board() {
  const org = await srv.org("BoardBench");
  let t = performance.now();
  await seed(org, CARDS, (i) => ({ firstName: `Card${i}`, lastName: "Bench", status: STAGES[i % STAGES.length] }));
  console.log(`seeded ${CARDS} contacts over ${STAGES.length} stages in ${((performance.now() - t) / 1000).toFixed(1)} s`);
  const { page, check, close } = await openPage(browser, srv.base, { width: 1920, height: 1080 });
  await signIn(page, srv.base, org.email, org.password);
  await page.getByRole("link", { name: "Board", exact: true }).click();
  await page.locator(".board").waitFor();
  const perColumn = Math.ceil(CARDS / STAGES.length);
  const size = [20, 50, 100, 200].find((s) => s >= perColumn) ?? 200;
  const shown = Math.min(CARDS, size * STAGES.length);
  await page.getByLabel("Cards per column").selectOption(String(size));   // kept by the browser
  await until(async () => (await page.locator("li[data-id]").count()) === shown, 20000, `${shown} cards`);
  // Each run is a reload: a new page whose first board has every card (nothing formatted or
  // compiled before), as a person who opens the board meets it.
  const renders = [], commits = [], walls = [];
  for (let run = 0; run < 5; run++) {
    t = performance.now();
    await page.reload();
    await until(async () => (await page.locator("li[data-id]").count()) === shown, 20000, `${shown} cards`);
    walls.push(performance.now() - t);
    renders.push(await until(() => page.evaluate(() => performance.getEntriesByName("crmd-board-render")[0]?.duration), 5000, "the measure"));
    commits.push(await page.evaluate(() => performance.getEntriesByName("crmd-board-commit")[0]?.duration));
  }
  const fmt = (xs) => `median ${xs.sort((a, b) => a - b)[2].toFixed(0)} ms, max ${xs[4].toFixed(0)} ms`;
  console.log(`board of ${shown} cards (${size} a column), 5 fresh loads: reply to cards in the DOM ${fmt(commits)}, ` +
              `to cards painted ${fmt(renders)}; reload to every card in the DOM ${fmt(walls)}`);
  check();
  await close();
}

try {
  if (N > 0) await table();
  if (CARDS > 0) await board();
} finally {
  await browser.close();
  await srv.stop();
}
