// An automated accessibility check (axe-core) of the main pages: no serious
// or critical violations, on a desktop and a phone-sized screen.
'use strict';
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { ADMIN, openBrowser, signIn, adminApi, allPages, seriousViolations } = require('../lib.js');

let browser;

/** The main pages, with ids read from the demo through the API (not assumed). */
let PAGES;

before(async () => {
  browser = await openBrowser();
  const get = await adminApi(browser.context);
  const [service] = (await get('/api/v1/services?limit=1')).items;
  const [request] = (await get('/api/v1/requests?limit=1')).items;
  const [person] = (await get('/api/v1/people?limit=1')).items;
  const [round] = (await get('/api/v1/pulses?limit=1')).items;
  const matrix = await get('/api/v1/matrix');
  const cell = matrix.cells.find((candidate) => candidate.agreement) ?? matrix.cells[0];
  const provider = cell.provider_department_id;
  const departments = await allPages(get, '/api/v1/departments');
  assert.ok(service && request && person && round && departments.length > 1, 'the demo has data');
  PAGES = ['/', '/services', `/services/${service.id}/request`, `/requests/${request.id}`, '/matrix',
    `/matrix/${provider}/${cell.consumer_department_id}`, `/departments/${provider}`, `/departments/${provider}/queue`,
    '/requests', '/requests?impact=customer_waiting', '/admin/people', `/admin/people/${person.id}`,
    '/admin/departments', '/tokens', '/checks', '/notifications', '/pulses', `/pulses/${round.id}`];
  await browser.context.clearCookies();
});

after(async () => {
  await browser?.close();
});

test('the sign-in page has no serious accessibility violations', async () => {
  const { page } = browser;
  await page.goto('/login');
  assert.deepEqual(await seriousViolations(page), []);
});

test('the main pages have no serious accessibility violations', async () => {
  const { page } = browser;
  // Console errors would include scripts or styles the page's policy blocked.
  const consoleErrors = [];
  page.on('console', (message) => {
    if (message.type() === 'error') consoleErrors.push(`${page.url()}: ${message.text()}`);
  });
  page.on('pageerror', (error) => consoleErrors.push(`${page.url()}: ${error.message}`));
  await signIn(page, ADMIN);
  for (const pathname of PAGES) {
    await page.goto(pathname);
    assert.deepEqual(await seriousViolations(page), [], `on ${pathname}`);
    assert.equal(await page.evaluate(() => typeof window.htmx), 'object', `htmx loaded on ${pathname}`);
  }
  assert.deepEqual(consoleErrors, []);
});

test('the main pages fit a phone screen without serious violations', async () => {
  const { page } = browser;
  await page.setViewportSize({ width: 375, height: 740 });
  for (const pathname of ['/', '/services', PAGES[3], '/matrix', '/pulses', PAGES[PAGES.length - 1]]) {
    await page.goto(pathname);
    assert.deepEqual(await seriousViolations(page), [], `on ${pathname} at phone width`);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    assert.ok(overflow <= 1, `${pathname} scrolls sideways by ${overflow}px at phone width`);
  }
});
