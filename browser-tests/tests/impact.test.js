// The external-impact report and crediting contributors, in Chromium:
// the report reached from the navigation, its window form refusing a
// backwards window at the field, both tables and the chart; a resolved
// request credits a contributor from its page. axe-core checks both pages
// at desktop and phone width.
'use strict';
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const { ADMIN, SCREENSHOTS, openBrowser, signIn, adminApi, seriousViolations } = require('../lib.js');

let browser;

before(async () => {
  browser = await openBrowser();
});

after(async () => {
  await browser?.close();
});

async function checkAtBothWidths(page, pathname) {
  await page.setViewportSize({ width: 1280, height: 900 });
  await page.goto(pathname);
  assert.deepEqual(await seriousViolations(page), [], `on ${pathname}`);
  await page.setViewportSize({ width: 375, height: 740 });
  await page.goto(pathname);
  assert.deepEqual(await seriousViolations(page), [], `on ${pathname} at phone width`);
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  assert.ok(overflow <= 1, `${pathname} scrolls sideways by ${overflow}px at phone width`);
  await page.setViewportSize({ width: 1280, height: 900 });
}

test('the external-impact report follows misses to departments and segments', async () => {
  const { page } = browser;
  await signIn(page, ADMIN);
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'External impact' }).click();
  await page.waitForURL(/\/reports\/external-impact/);
  await page.getByRole('heading', { level: 1, name: 'External impact' }).waitFor();
  // The demo raised requests with external impact: both tables and the chart.
  await page.getByRole('heading', { name: 'By provider department' }).waitFor();
  await page.getByRole('heading', { name: 'By customer segment' }).waitFor();
  const departments = page.getByRole('table', { name: 'Requests with external impact per provider department' });
  assert.ok(await departments.locator('tbody tr').count() > 0, 'a row per provider department');
  await page.getByRole('img', { name: /Business time external customers waited/ }).waitFor();
  await page.locator('main').screenshot({ path: path.join(SCREENSHOTS, 'external-impact.png') });

  // A window that ends before it starts: the error at the "To" date, the dates kept.
  await page.getByLabel('From (first day, UTC)').fill('2026-05-02');
  await page.getByLabel('To (last day, UTC)').fill('2026-05-01');
  await page.getByRole('button', { name: 'Show' }).click();
  await page.locator('#impact-to-error').waitFor();
  assert.match(await page.locator('#impact-to-error').innerText(), /must be on or after from/);
  assert.equal(await page.getByLabel('From (first day, UTC)').inputValue(), '2026-05-02');
  assert.equal(await page.getByLabel('To (last day, UTC)').getAttribute('aria-invalid'), 'true');

  await checkAtBothWidths(page, '/reports/external-impact');
});

test('a resolved request credits a contributor from its page', async () => {
  const { page, context } = browser;
  const get = await adminApi(context);
  const [resolved] = (await get('/api/v1/requests?status=resolved&limit=1')).items;
  assert.ok(resolved, 'the demo has a resolved request');
  await signIn(page, ADMIN);
  await page.goto(`/requests/${resolved.id}`);
  const form = page.locator('#credit-form');
  await form.getByRole('heading', { name: 'Credit contributors' }).waitFor();
  const contributor = form.getByLabel('Contributor 1');
  const choice = await contributor.locator('option:not([value=""])').first();
  const label = (await choice.innerText()).trim();
  await contributor.selectOption(await choice.getAttribute('value'));
  await form.getByLabel('What they contributed').fill('Found the missing invoices');
  await form.getByRole('button', { name: 'Credit' }).click();
  await page.waitForURL(new RegExp(`/requests/${resolved.id}$`));
  const credits = page.locator('section[aria-labelledby="credits-heading"] ul.credits');
  const name = label.replace(/ \(.*\)$/, '');
  await credits.getByText(name, { exact: false }).first().waitFor();
  assert.match(await credits.innerText(), /Found the missing invoices/);
  assert.match(await page.locator('.timeline').innerText(), /credited a contributor/);

  await checkAtBothWidths(page, `/requests/${resolved.id}`);
  await checkAtBothWidths(page, '/kudos');
});
