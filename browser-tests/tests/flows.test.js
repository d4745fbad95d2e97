// The main journeys of the web application in a real browser, against the
// demo organization: raise a request, work it as the provider, see it
// resolved; the matrix and a cell; the request form by keyboard alone.
'use strict';
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const { ADMIN, SCREENSHOTS, openDemoBrowser, signIn, signOut, adminApi, allPages } = require('../lib.js');

let browser;
let demo;

/** The demo's services, departments and people, read through the API as the admin. */
async function readDemo(context) {
  const get = await adminApi(context);
  const services = await allPages(get, '/api/v1/services');
  const departments = await allPages(get, '/api/v1/departments');
  const people = await allPages(get, '/api/v1/people');
  const memberOf = (departmentId) => {
    const person = people.find((candidate) => candidate.department_id === departmentId && candidate.role === 'member' && candidate.active !== false);
    assert.ok(person, `a member of department ${departmentId}`);
    return person;
  };
  const service = (name) => {
    const found = services.find((candidate) => candidate.name === name);
    assert.ok(found, `the demo service ${name}`);
    return found;
  };
  return { services, departments, people, memberOf, service };
}

before(async () => {
  ({ browser, demo } = await openDemoBrowser(readDemo));
});

after(async () => {
  await browser?.close();
});

test('a request goes from the catalogue to resolved, deferred on the way', async () => {
  const { page } = browser;
  const service = demo.service('Quote and discount approvals');
  const requester = demo.memberOf(service.consumer_department_ids[0]);
  const provider = demo.memberOf(service.provider_department_id);

  // The requester raises it from the catalogue.
  await signIn(page, requester.email);
  await page.getByRole('link', { name: 'Services' }).click();
  await page.getByRole('link', { name: `Raise a request: ${service.name}` }).click();
  await page.getByRole('heading', { name: `Raise a request: ${service.name}` }).waitFor();
  // First without the required fields: errors at the fields, values kept.
  await page.getByLabel('Title').fill('Browser test: discount for Northwind');
  await page.getByRole('button', { name: 'Raise the request' }).click();
  await page.locator('#intake-account-error').waitFor();
  assert.equal(await page.getByLabel('Title').inputValue(), 'Browser test: discount for Northwind');
  await page.getByLabel('Account').fill('Northwind Traders');
  await page.getByLabel('Discount').fill('12');
  await page.getByLabel('A customer is waiting').check();
  await page.getByRole('button', { name: 'Raise the request' }).click();
  await page.waitForURL(/\/requests\/\d+$/);
  const requestUrl = new URL(page.url()).pathname;
  await page.getByText('Status: New', { exact: true }).waitFor();
  await signOut(page);

  // The provider acknowledges, defers for an external customer, resolves.
  await signIn(page, provider.email);
  await page.goto(requestUrl);
  await page.getByRole('button', { name: 'Acknowledge' }).click();
  await page.getByText('Status: Acknowledged', { exact: true }).waitFor();
  await page.getByLabel('Which customer comes first, and why').fill('Quarter-end close for a key account');
  await page.getByLabel(/^New expected delivery \(/).fill('2030-01-15T12:00');
  await page.getByRole('button', { name: 'Defer the request' }).click();
  await page.getByText('Deferred for an external customer').waitFor();
  await page.getByLabel('What was delivered').fill('Approved 10 %, not 12 %.');
  await page.getByLabel('Quality of the input you got from the requester').selectOption('partial');
  await page.getByRole('button', { name: 'Resolve the request' }).click();
  await page.getByText('Status: Resolved', { exact: true }).waitFor();
  await signOut(page);

  // The requester sees it resolved, with the deferral in the timeline.
  await signIn(page, requester.email);
  await page.goto(requestUrl);
  await page.getByText('Status: Resolved', { exact: true }).waitFor();
  await page.getByText('deferred the request for an external customer').waitFor();
  assert.ok(await page.getByRole('button', { name: 'Confirm and close' }).isVisible());
  await signOut(page);
});

test('the matrix opens a cell with its services and agreement', async () => {
  const { page } = browser;
  await signIn(page, ADMIN);
  await page.getByRole('link', { name: 'Matrix' }).click();
  await page.getByRole('heading', { name: 'The Internal Customer Relationship Matrix' }).waitFor();
  await page.screenshot({ path: path.join(SCREENSHOTS, 'matrix.png'), fullPage: true });
  // Cells are coloured by health; the agreement is a marker in the cell,
  // and the cell's accessible name is its text.
  const agreedCell = page.locator('a.cell', { has: page.locator('.cell-agreement', { hasText: /^Agreed$/ }) }).first();
  assert.match(await agreedCell.textContent(), /serving [\s\S]*Agreed/);
  assert.equal(await agreedCell.getAttribute('aria-label'), null);
  await agreedCell.click();
  await page.getByRole('heading', { name: 'Services' }).waitFor();
  await page.getByRole('heading', { name: 'Agreement' }).waitFor();
  assert.match(await page.locator('h1').innerText(), /→/);
  // The provider's page: its relationships both ways, with a chart.
  await page.getByRole('link', { name: /'s relationships$/ }).click();
  await page.getByRole('heading', { name: /^As provider/ }).waitFor();
  assert.ok(await page.locator('svg[role="img"] title').count() > 0, 'charts have text alternatives');
  await page.screenshot({ path: path.join(SCREENSHOTS, 'department.png'), fullPage: true });
  // And on to the provider's queue.
  await page.getByRole('link', { name: /Open requests to/ }).click();
  await page.getByRole('heading', { name: /Queue of/ }).waitFor();
  await page.screenshot({ path: path.join(SCREENSHOTS, 'department-queue.png'), fullPage: true });
  // The first request of the queue, with its clocks running.
  await page.locator('table a[href^="/requests/"]').first().click();
  await page.getByRole('heading', { name: 'Service-level clocks' }).waitFor();
  await page.screenshot({ path: path.join(SCREENSHOTS, 'request.png'), fullPage: true });
  await signOut(page);
});

test('the request form can be filled and sent with the keyboard alone', async () => {
  const { page } = browser;
  const service = demo.service('Qualified leads');
  const requester = demo.memberOf(service.consumer_department_ids[0]);
  await signIn(page, requester.email);
  await page.goto(`/services/${service.id}/request`);

  // The first Tab reaches the skip link, which moves focus to the content.
  await page.keyboard.press('Tab');
  assert.equal(await page.evaluate(() => document.activeElement.textContent.trim()), 'Skip to main content');
  await page.keyboard.press('Enter');
  assert.equal(await page.evaluate(() => document.activeElement.id), 'main');

  const focused = () => page.evaluate(() => {
    const element = document.activeElement;
    const style = getComputedStyle(element);
    return { id: element.id, tag: element.tagName.toLowerCase(), type: element.type || '', text: element.textContent.trim(), outline: style.outlineStyle };
  });
  const visited = [];
  for (let presses = 0; presses < 60; presses += 1) {
    await page.keyboard.press('Tab');
    const element = await focused();
    visited.push(element.id || element.text);
    assert.notEqual(element.outline, 'none', `focus is visible on ${element.id || element.text}`);
    if (element.id === 'title') {
      await page.keyboard.type('Keyboard-only leads request');
    } else if (element.tag === 'select' && element.id.startsWith('intake-')) {
      await page.keyboard.press('ArrowDown');
    } else if (element.tag === 'button' && element.text === 'Raise the request') {
      await page.keyboard.press('Enter');
      break;
    }
  }
  await page.waitForURL(/\/requests\/\d+$/);
  await page.getByRole('heading', { name: /Keyboard-only leads request/ }).waitFor();
  for (const id of ['title', 'description', 'intake-segment', 'intake-region', 'priority']) {
    assert.ok(visited.includes(id), `Tab reached ${id} (visited ${visited.join(', ')})`);
  }
  await signOut(page);
});

test('the catalogue search narrows the services as one types', async () => {
  const { page } = browser;
  await signIn(page, ADMIN);
  await page.goto('/services');
  const leads = page.getByRole('link', { name: 'Raise a request: Qualified leads' });
  assert.ok(await leads.isVisible());
  await page.getByLabel('Search the services').fill('discount');
  await leads.waitFor({ state: 'detached' });
  await page.getByRole('link', { name: 'Raise a request: Quote and discount approvals' }).waitFor();
  await page.waitForURL(/q=discount/);
  await signOut(page);
});
