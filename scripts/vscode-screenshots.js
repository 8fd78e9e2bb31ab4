// Drives code-server (VS Code in a browser) in headless chromium and takes the screenshots of
// docs/editors.md: highlighting and code lenses, hover, the "explain on subject…" pick and result,
// completion and a diagnostic. Run by scripts/vscode-screenshots.sh, which starts code-server.
// Usage: node vscode-screenshots.js URL FOLDER OUTPUT_DIR
const { chromium } = require("playwright-core");
const [url, folder, out] = process.argv.slice(2);
let page;
const wait = (ms) => page.waitForTimeout(ms);
const shot = (name) => page.screenshot({ path: `${out}/${name}.png` });
const word = (text) => page.locator(".view-lines span span", { hasText: new RegExp(`^${text}$`) }).first();

async function goTo(where) {
  await page.keyboard.press("Control+G");
  await wait(400);
  await page.keyboard.type(where);
  await page.keyboard.press("Enter");
  await wait(400);
}

async function soft(selector, ms) {
  // waits for `selector` up to `ms`, and goes on without it (the screenshot shows what there is)
  try {
    await page.waitForSelector(selector, { timeout: ms });
  } catch {
    /* taken as is */
  }
}

async function step(name, body) {
  try {
    await body();
  } catch (error) {
    await shot(`debug-${name}`);
    throw error;
  }
}

(async () => {
  const browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: ["--no-sandbox"] });
  page = await browser.newPage({ viewport: { width: 1400, height: 860 } });
  await step("open", async () => {
    await page.goto(`${url}/?folder=${folder}`, { waitUntil: "domcontentloaded" });
    await page.waitForSelector(".monaco-workbench", { timeout: 90000 });
    await wait(4000);
    await page.keyboard.press("Control+P");
    await wait(700);
    await page.keyboard.type("production.policy");
    await page.waitForSelector(".quick-input-list .monaco-list-row", { timeout: 30000 });
    await wait(700);
    await page.keyboard.press("Enter");
    // the code lenses come once the server has evaluated the project; an edit asks for them again
    for (let attempt = 0; attempt < 8 && !(await page.$(".codelens-decoration a")); attempt++) {
      await soft(".codelens-decoration a", 20000);
      if (await page.$(".codelens-decoration a")) break;
      await page.keyboard.press("End");
      await page.keyboard.type(" ");
      await page.keyboard.press("Backspace");
    }
    await page.waitForSelector(".codelens-decoration a", { timeout: 30000 });
    await wait(3000);
    await shot("vscode-highlighting");
  });
  await step("hover", async () => {
    await word("unmapped").hover();
    await soft(".monaco-hover-content", 8000);
    await wait(1500);
    await shot("vscode-hover");
    await page.mouse.move(1300, 800);
    await wait(800);
  });
  await step("explain", async () => {
    await page.locator(".codelens-decoration a", { hasText: "explain on subject" }).nth(1).click();
    await page.waitForSelector(".quick-input-widget .monaco-list-row", { timeout: 30000 });
    await wait(1000);
    await shot("vscode-explain-pick");
    await page.keyboard.press("Enter");
    await soft(".tab:has-text('explain')", 60000);
    await wait(3000);
    await shot("vscode-explain");
    await page.keyboard.press("Control+W"); // close the result tab
    await wait(1000);
    await page.locator(".tab", { hasText: "production.policy" }).first().click();
    await wait(1000);
  });
  await step("completion", async () => {
    await goTo("5");
    await page.keyboard.press("End");
    await page.keyboard.press("Enter");
    await page.keyboard.type("warn stale when risk.");
    await wait(800);
    await page.keyboard.press("Control+Space");
    await soft(".suggest-widget.visible", 30000);
    await wait(2000);
    await shot("vscode-completion");
    await page.keyboard.press("Escape");
    await page.keyboard.press("Control+Shift+K");
    await wait(500);
  });
  await step("diagnostics", async () => {
    await goTo("7");
    await page.keyboard.press("End");
    await page.keyboard.type(" and criticalty >= high");
    await wait(8000);
    await page.keyboard.press("Control+Shift+M");
    await wait(2000);
    await word("criticalty").hover();
    await wait(3000);
    await shot("vscode-diagnostics");
  });
  await browser.close();
})().catch((error) => {
  console.error(error);
  process.exit(1);
});
