// Relationship pages in a real browser, against the demo organization: the
// matrix → a cell with its health explained → the provider's scorecard;
// kudos given through the form (an error at the field first) and then seen
// in the feed and in its cell; and an axe check of these pages and the
// admin calendar and import pages at desktop and phone width.
'use strict';
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { ADMIN, SCREENSHOTS, openBrowser, signIn, signOut, adminApi, allPages, seriousViolations } = require('../lib.js');

let browser;
let demo;

before(async () => {
  browser = await openBrowser();
  const get = await adminApi(browser.context);
  const departments = await allPages(get, '/api/v1/departments');
  const people = await allPages(get, '/api/v1/people');
  const calendars = await allPages(get, '/api/v1/calendars');
  const matrix = await get('/api/v1/matrix');
  // A member of a department who will thank another department: read, not assumed.
  const giver = people.find((person) => person.role === 'member' && person.active !== false && person.department_id);
  assert.ok(giver, 'the demo has a member in a department');
  const receiver = departments.find((department) => department.id !== giver.department_id);
  const cell = matrix.cells.find((candidate) => candidate.provider_department_id === giver.department_id
    && candidate.consumer_department_id === receiver.id);
  assert.ok(cell && calendars.length > 0, 'the demo has the cell and a calendar');
  const healthy = matrix.cells.find((candidate) => candidate.health.score !== null);
  assert.ok(healthy, 'the demo has a cell with a health score');
  demo = { giver, receiver, cell, calendar: calendars[0], healthy };
  await browser.context.clearCookies();
  fs.mkdirSync(SCREENSHOTS, { recursive: true });
});

after(async () => {
  await browser?.close();
});

test('the matrix opens a cell with its health explained, and the cell leads to the scorecard', async () => {
  const { page } = browser;
  await signIn(page, ADMIN);
  await page.getByRole('link', { name: 'Matrix' }).click();
  await page.getByRole('heading', { name: 'The Internal Customer Relationship Matrix' }).waitFor();
  await page.locator(`a.cell[href="/matrix/${demo.healthy.provider_department_id}/${demo.healthy.consumer_department_id}"]`).click();
  await page.getByRole('heading', { name: 'Relationship health' }).waitFor();
  // Every component with its value, sample size and weight, in a table.
  const components = page.locator('#health-components tbody tr');
  assert.equal(await components.count(), 4);
  for (const name of ['Satisfaction', 'Pulse', 'Reliability', 'Responsiveness']) {
    await page.locator('#health-components').getByText(name, { exact: true }).waitFor();
  }
  // The trend: a chart with a title, and its weeks as a table.
  await page.getByRole('heading', { name: 'Weekly trend' }).waitFor();
  assert.ok(await page.locator('svg[aria-labelledby="trend-title"] title').count() === 1, 'the trend chart has a text alternative');
  await page.getByText('The trend as a table').click();
  assert.equal(await page.locator('#trend-table tbody tr').count(), 12);
  await page.getByRole('heading', { name: /^Open frustrations of/ }).waitFor();
  await page.getByRole('heading', { name: 'Kudos in this cell' }).waitFor();
  await page.getByRole('heading', { name: /input quality$/ }).waitFor();

  // On to the provider's page and its scorecard.
  await page.getByRole('link', { name: /'s relationships$/ }).click();
  await page.getByRole('heading', { name: 'Scorecard' }).waitFor();
  await page.getByRole('heading', { name: /^Health as provider: how/ }).waitFor();
  await page.getByRole('heading', { name: /^Health as consumer: how/ }).waitFor();
  assert.equal(await page.locator('#scorecard svg[role="img"] title').count(), 2, 'both charts have text alternatives');
  // The cell we came from is in the provider table, with its score in words.
  const row = page.locator('#provider-health-table tbody tr', {
    has: page.locator(`a[href="/matrix/${demo.healthy.provider_department_id}/${demo.healthy.consumer_department_id}"]`),
  });
  assert.match(await row.innerText(), /(Healthy|Watch|At risk)/);
  await page.locator('#scorecard').screenshot({ path: path.join(SCREENSHOTS, 'scorecard.png') });
  await signOut(page);
});

test('kudos given through the form appear in the feed and in their cell', async () => {
  const { page } = browser;
  const message = `Browser test: thanks for the quick turnaround (${Date.now()})`;
  await signIn(page, demo.giver.email);
  await page.getByRole('link', { name: 'Kudos', exact: true }).click();
  await page.getByRole('heading', { name: 'Give kudos' }).waitFor();

  // Without a message: the error at the field, the choices kept.
  await page.getByLabel('Department', { exact: true }).selectOption(String(demo.receiver.id));
  await page.getByLabel(/^Value shown/).fill('customer_first');
  await page.getByRole('button', { name: 'Give kudos' }).click();
  await page.locator('#message-error').waitFor();
  assert.equal(await page.getByLabel('Department', { exact: true }).inputValue(), String(demo.receiver.id));
  assert.equal(await page.getByLabel(/^Value shown/).inputValue(), 'customer_first');
  assert.equal(await page.getByLabel(/^Message/).getAttribute('aria-invalid'), 'true');

  await page.getByLabel(/^Message/).fill(message);
  await page.getByRole('button', { name: 'Give kudos' }).click();
  await page.getByText('Your kudos were given').waitFor();
  const newest = page.locator('#kudos-feed article').first();
  assert.match(await newest.innerText(), new RegExp(message.replace(/[()]/g, '\\$&')));
  assert.match(await newest.innerText(), /Value: customer_first/);

  // In the cell giver's department → receiver: listed and counted.
  await page.goto(`/matrix/${demo.giver.department_id}/${demo.receiver.id}`);
  await page.locator('#cell-kudos').getByText(message).waitFor();
  await page.getByText(`${demo.cell.kudos + 1} kudos in 90 days`, { exact: true }).waitFor();
  await signOut(page);
});

test('the relationship and admin pages have no serious accessibility violations, on a desktop and a phone', async () => {
  const { page } = browser;
  await signIn(page, ADMIN);
  // Watched from here: the sign-in page's favicon request (404) is not ours to judge.
  const consoleErrors = [];
  page.on('console', (entry) => {
    if (entry.type() === 'error') consoleErrors.push(`${page.url()}: ${entry.text()}`);
  });
  const pages = [
    `/matrix/${demo.healthy.provider_department_id}/${demo.healthy.consumer_department_id}`,
    `/departments/${demo.healthy.provider_department_id}`,
    '/kudos',
    '/admin/calendars',
    `/admin/calendars/${demo.calendar.id}`,
    '/admin/import',
  ];
  for (const viewport of [{ width: 1280, height: 900 }, { width: 375, height: 740 }]) {
    await page.setViewportSize(viewport);
    for (const pathname of pages) {
      await page.goto(pathname);
      assert.deepEqual(await seriousViolations(page), [], `on ${pathname} at ${viewport.width}px`);
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
      assert.ok(overflow <= 1, `${pathname} scrolls sideways by ${overflow}px at ${viewport.width}px`);
    }
  }
  // No script or style of these pages was blocked.
  assert.deepEqual(consoleErrors, []);
  // A form with errors is checked too: the import with a bad row (its 422 is expected).
  await page.goto('/admin/import');
  await page.getByLabel(/^Or paste the rows/).fill('email,name\nnot-an-email,Nobody\n');
  await page.getByRole('button', { name: 'Import' }).click();
  await page.locator('#import-errors').getByText('line 2').waitFor();
  assert.deepEqual(await seriousViolations(page), [], 'on the import with errors');
  await page.setViewportSize({ width: 1280, height: 900 });
  await signOut(page);
});
