// The GraphQL IDE at / in a real browser (Debian's chromium, headless):
// the page loads with everything from the gateway itself (any request to
// another host is blocked, recorded and fails the test), opens with the
// example tabs, and a query typed into the editor runs against /graphql.
// Saves a screenshot to docs/ide.png.
//
// Env: CUSTGRAPH_URL (the gateway's base URL, e.g. http://127.0.0.1:18080;
// e2e/run.sh sets it), CHROMIUM (default /usr/bin/chromium).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const base = process.env.CUSTGRAPH_URL;
const executablePath = process.env.CHROMIUM || '/usr/bin/chromium';
const screenshot = fileURLToPath(new URL('../docs/ide.png', import.meta.url));
const loopback = new Set(['127.0.0.1', 'localhost', '[::1]']);

const query = '{ customer(id: "u8:00000001") { id name source } }';
const tabs = ['U8Customer', 'YcmCustomer', 'CrmCustomer', 'Matches', 'CustomersPage', 'Sources', 'Directory'];

test('GraphQL IDE: served from the gateway alone, example tabs, a typed query runs', {
  skip: !base && 'CUSTGRAPH_URL is not set (run sh e2e/run.sh)',
  timeout: 120_000,
}, async () => {
  const browser = await chromium.launch({ executablePath, headless: true, args: ['--no-sandbox'] });
  try {
    const context = await browser.newContext({ viewport: { width: 1440, height: 900 }, deviceScaleFactor: 1 });
    const page = await context.newPage();

    // Anything not on a loopback host is aborted and recorded.
    const blocked = [];
    await page.route('**/*', (route) => {
      const url = new URL(route.request().url());
      if (url.protocol === 'data:' || url.protocol === 'blob:' || loopback.has(url.hostname)) return route.continue();
      blocked.push(url.href);
      return route.abort('blockedbyclient');
    });
    const problems = [];
    page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
    page.on('console', (msg) => {
      // A GraphQL error answered with HTTP 4xx is shown in the result pane;
      // Chromium also logs it.
      if (msg.type() === 'error' && !msg.location().url.endsWith('/graphql')) problems.push(`console error: ${msg.text()}`);
    });
    page.on('response', (res) => {
      if (res.status() >= 400 && !new URL(res.url()).pathname.endsWith('/graphql')) problems.push(`HTTP ${res.status()} ${res.url()}`);
    });

    const res = await page.goto(new URL('/', base).href, { waitUntil: 'load' });
    assert.equal(res.status(), 200);
    assert.equal(await page.title(), 'custgraph');

    // The editor, the example tabs (titled by operation name) and the
    // headers editor, open for credentials.
    const editor = page.locator('.graphiql-query-editor .CodeMirror');
    await editor.waitFor({ state: 'visible' });
    const titles = (await page.locator('.graphiql-tab').allInnerTexts()).map((t) => t.trim());
    assert.deepEqual(titles, tabs, 'the example tabs');
    await page.locator('.graphiql-editor-tool .graphiql-editor:not(.hidden) .CodeMirror').waitFor({ state: 'visible' });
    assert.equal((await page.locator('.graphiql-editor-tools button.active').innerText()).trim(), 'Headers');

    // Replace the first tab's query by typing it.
    await editor.locator('.CodeMirror-lines').click();
    await page.keyboard.press('ControlOrMeta+A');
    await page.keyboard.type(query);
    await page.keyboard.press('Escape'); // closes an autocompletion list, if open
    const typed = await editor.evaluate((el) => el.CodeMirror.getValue());
    assert.equal(typed, query, 'the query editor holds the typed query');

    await page.locator('.graphiql-execute-button').click();
    const response = page.locator('.graphiql-response .CodeMirror');
    await page.waitForFunction(
      () => document.querySelector('.graphiql-response .CodeMirror')?.CodeMirror.getValue().includes('"u8:00000001"'),
      null,
      { timeout: 30_000 },
    );
    const result = JSON.parse(await response.evaluate((el) => el.CodeMirror.getValue()));
    assert.equal(result.errors, undefined, JSON.stringify(result.errors));
    assert.equal(result.data.customer.id, 'u8:00000001');
    assert.equal(result.data.customer.source, 'U8');
    assert.ok(result.data.customer.name, 'a name');

    mkdirSync(dirname(screenshot), { recursive: true });
    await page.screenshot({ path: screenshot });

    assert.deepEqual(blocked, [], `the IDE tried to load from outside: ${blocked.join(', ')}`);
    assert.deepEqual(problems, [], problems.join('\n'));
  } finally {
    await browser.close();
  }
});
