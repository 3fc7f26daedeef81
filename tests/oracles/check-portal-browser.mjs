// The developer portal end to end in a real browser: Debian's chromium,
// headless, driven by playwright-core (no browser download).
//   node check-portal-browser.mjs BASE_URL TOKEN SCREENSHOT_PNG
// BASE_URL is a gatehouse-server in demo mode; TOKEN a demo-realm token of a
// developer who has no consumer yet. Exits non-zero with the failing step.
import { chromium } from "playwright-core";

const [base, token, screenshot] = process.argv.slice(2);
if (!base || !token || !screenshot) {
  console.error("usage: node check-portal-browser.mjs BASE_URL TOKEN SCREENSHOT_PNG");
  process.exit(2);
}

function check(ok, what) {
  if (!ok) throw new Error("portal check failed: " + what);
}

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  // the machine's network is closed: no background connections, no sandbox as root
  args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync"],
});
const problems = [];
try {
  const page = await browser.newPage({ viewport: { width: 1100, height: 1400 } });
  page.on("console", (m) => { if (m.type() === "error" && !/status of 40[13]/.test(m.text())) problems.push(m.text()); });
  page.on("pageerror", (e) => problems.push(String(e)));

  // the page loads offline (CSP allows only its own files) and lists the published catalog
  await page.goto(base + "/portal");
  await page.waitForSelector("body[data-ready=true]", { timeout: 10000 });
  const cards = await page.$$eval(".api[data-api]", (els) => els.map((e) => e.dataset.api + " " + e.dataset.version));
  check(cards.includes("orders v2") && cards.includes("orders v1") && cards.includes("catalog v1"), "APIs listed: " + cards);
  check(!cards.includes("orders v0"), "a retired version is not listed");
  check(await page.textContent('.api[data-version="v1"][data-api="orders"] [data-state]') === "deprecated",
        "orders v1 carries its deprecated badge");
  check((await page.textContent('.api[data-api="orders"][data-version="v1"]')).includes("sunset 2030-01-01"),
        "orders v1 shows its sunset date");
  check((await page.textContent("#plans")).includes("1000 a day (quota)"), "the plan's quota is shown");
  check(await page.textContent("#realm-name") === "demo", "the sign-in names the portal's realm");

  // try it: 401 without a credential, 200 with the token
  const tryCall = async (operation, params, credential) => {
    await page.selectOption("#try-operation", { label: operation });
    for (const [name, value] of Object.entries(params)) await page.fill("#param-" + name, value);
    await page.fill("#try-credential", credential);
    await page.$eval("#try-result", (e) => { e.dataset.status = ""; });
    await page.click("#try-send");
    await page.waitForFunction(() => document.getElementById("try-result").dataset.status);
    return page.$eval("#try-result", (e) => e.dataset.status);
  };
  check(await tryCall("GET /v2/orders/{id}", { id: "7" }, "") === "401", "try it without a token → 401");
  check(await tryCall("GET /v2/orders/{id}", { id: "7" }, token) === "200", "try it with the token → 200");
  check((await page.textContent("#try-result")).includes("/v2/orders/7"), "the echoed answer is shown");

  // sign in, create a key for the plan, subscribe, call the API with the key
  await page.fill("#token", token);
  await page.click("#sign-in-button");
  await page.waitForSelector("#signed-in:not([hidden])");
  await page.selectOption("#key-plan", "starter");
  await page.click("#create-key");
  await page.waitForSelector("#new-key-shown:not([hidden])");
  const key = await page.textContent("#new-key-value");
  check(/^ghk_[0-9a-f]{64}$/.test(key), "a key is shown once: " + key);
  check((await page.$$("#keys tbody tr")).length === 1, "the key is listed by its id");
  check(await tryCall("GET /catalog/v1/products", {}, key) === "403", "the key before subscribing → 403");
  await page.click('.api[data-api="catalog"] button.subscribe');
  await page.waitForSelector('#subscriptions tr[data-subscription="catalog v1"]');
  check(await tryCall("GET /catalog/v1/products", {}, key) === "200", "the key after subscribing → 200");

  // usage against the plan: refreshed until the completed calls are counted
  let usage = "";
  for (let i = 0; i < 50 && !/\b2\b/.test(usage); i++) {
    await page.click("#refresh");
    await page.waitForTimeout(100);
    usage = (await page.textContent('#usage tr[data-usage="catalog v1"]').catch(() => "")) || "";
  }
  check(usage.includes("starter") && usage.includes("5 a second"), "usage with the plan's limits: " + usage);
  await page.screenshot({ path: screenshot, fullPage: true });
  check(problems.length === 0, "no errors in the page: " + problems.join(" | "));
  console.log("portal in chromium: catalog, try it (401, 200), key, subscription, usage; screenshot " + screenshot);
} finally {
  await browser.close();
}
