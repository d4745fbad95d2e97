// An automated accessibility check (axe-core) of the main pages: no serious
// or critical violations, on a desktop and a phone-sized screen.
'use strict';
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { AxeBuilder } = require('@axe-core/playwright');
const { ADMIN, openBrowser, signIn } = require('../lib.js');

const PAGES = ['/', '/services', '/services/1/request', '/requests/1', '/matrix', '/matrix/4/2', '/departments/5/queue', '/departments/4', '/requests', '/requests?impact=customer_waiting',
  '/admin/people', '/admin/people/1', '/admin/departments', '/tokens'];

let browser;

before(async () => {
  browser = await openBrowser();
});

after(async () => {
  await browser?.close();
});

async function seriousViolations(page) {
  const results = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze();
  return results.violations
    .filter((violation) => violation.impact === 'serious' || violation.impact === 'critical')
    .map((violation) => `${violation.id} (${violation.impact}): ${violation.help}\n    ${violation.nodes.slice(0, 3).map((node) => node.target.join(' ')).join('\n    ')}`);
}

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
  for (const pathname of ['/', '/services', '/requests/1', '/matrix']) {
    await page.goto(pathname);
    assert.deepEqual(await seriousViolations(page), [], `on ${pathname} at phone width`);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    assert.ok(overflow <= 1, `${pathname} scrolls sideways by ${overflow}px at phone width`);
  }
});
