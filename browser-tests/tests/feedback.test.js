// Feedback in a real browser, against the demo organization: a requester
// answers a satisfaction check "not met" and sees the request reopen; a
// consumer answers a pulse (the points must add up to 100); a closed round
// says "not enough responses" below the anonymity threshold. The check and
// pulse forms, with their errors shown, pass the accessibility check on a
// desktop and a phone-sized screen.
'use strict';
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { ADMIN, SCREENSHOTS, openBrowser, signIn, signOut, adminApi, allPages, seriousViolations } = require('../lib.js');

let browser;
let demo;
/** A name no earlier run of this file has used. */
const RUN = Date.now().toString(36);

before(async () => {
  browser = await openBrowser();
  const get = await adminApi(browser.context);
  const services = await allPages(get, '/api/v1/services');
  const departments = await allPages(get, '/api/v1/departments');
  const people = await allPages(get, '/api/v1/people');
  demo = { get, services, departments, people };
  await browser.context.clearCookies();
  fs.mkdirSync(SCREENSHOTS, { recursive: true });
});

after(async () => {
  await browser?.close();
});

function memberOf(departmentId) {
  const person = demo.people.find((candidate) => candidate.department_id === departmentId && candidate.role === 'member' && candidate.active !== false);
  assert.ok(person, `a member of department ${departmentId}`);
  return person;
}

function departmentName(id) {
  const department = demo.departments.find((candidate) => candidate.id === id);
  assert.ok(department, `department ${id}`);
  return department.name;
}

/** The page as it stands passes axe on a desktop and a phone screen, without sideways scrolling on the phone. */
async function accessibleAtBothWidths(page, what) {
  assert.deepEqual(await seriousViolations(page), [], `${what} on a desktop`);
  const desktop = page.viewportSize();
  await page.setViewportSize({ width: 375, height: 740 });
  try {
    assert.deepEqual(await seriousViolations(page), [], `${what} at phone width`);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    assert.ok(overflow <= 1, `${what} scrolls sideways by ${overflow}px at phone width`);
  } finally {
    await page.setViewportSize(desktop);
  }
}

// New passwords must be hard to guess (zxcvbn); only the demo's own people
// keep its documented password.
const NEWCOMER_PASSWORD = 'violet-harbour-kettle-1987';

test('a requester answers a check "not met" and the request reopens', async () => {
  const { page } = browser;
  const service = demo.services.find((candidate) => candidate.name === 'Quote and discount approvals');
  assert.ok(service, 'the demo service');
  assert.equal(service.reopen_on_not_met, true);
  const consumer = service.consumer_department_ids[0];
  const provider = memberOf(service.provider_department_id);

  // A newcomer to the consumer department: nobody has asked them anything yet.
  const email = `check.${RUN}@demo.example`;
  await signIn(page, ADMIN);
  await page.goto('/admin/people');
  await page.getByLabel('Name', { exact: true }).fill(`Check Requester ${RUN}`);
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Department').selectOption({ label: departmentName(consumer) });
  await page.getByLabel(/^Initial password/).fill(NEWCOMER_PASSWORD);
  await page.getByRole('button', { name: 'Add the person' }).click();
  await page.getByRole('cell', { name: email }).waitFor();
  await signOut(page);

  await signIn(page, email, NEWCOMER_PASSWORD);
  await page.goto(`/services/${service.id}/request`);
  await page.getByLabel('Title').fill(`Browser check ${RUN}: discount for Contoso`);
  await page.getByLabel('Account').fill('Contoso');
  await page.getByLabel('Discount').fill('8');
  await page.getByRole('button', { name: 'Raise the request' }).click();
  await page.waitForURL(/\/requests\/\d+$/);
  const requestUrl = new URL(page.url()).pathname;
  const requestId = requestUrl.split('/').pop();
  await signOut(page);

  await signIn(page, provider.email);
  await page.goto(requestUrl);
  await page.getByRole('button', { name: 'Acknowledge' }).click();
  await page.getByText('Status: Acknowledged', { exact: true }).waitFor();
  await page.getByLabel('What was delivered').fill('Approved 8 %.');
  await page.getByLabel('Quality of the input you got from the requester').selectOption('complete');
  await page.getByRole('button', { name: 'Resolve the request' }).click();
  await page.getByText('Status: Resolved', { exact: true }).waitFor();
  await signOut(page);

  // The requester finds the check on the home page.
  await signIn(page, email, NEWCOMER_PASSWORD);
  await page.getByRole('heading', { name: /Checks waiting for your answer/ }).waitFor();
  await page.getByRole('link', { name: new RegExp(`Answer the check on #${requestId} `) }).click();
  await page.getByRole('heading', { name: /^Satisfaction check/ }).waitFor();
  // Sent without an answer: the error is at the field, the comment kept.
  await page.getByLabel('Comment').fill('The discount came without the approval note.');
  await page.getByRole('button', { name: 'Send my answer' }).click();
  await page.locator('#answer-error').waitFor();
  assert.equal(await page.getByLabel('Comment').inputValue(), 'The discount came without the approval note.');
  await accessibleAtBothWidths(page, 'the check form with an error');
  await page.getByLabel(/^Not met/).check();
  await page.getByLabel('2', { exact: true }).check();
  await page.screenshot({ path: path.join(SCREENSHOTS, 'check.png'), fullPage: true });
  await page.getByRole('button', { name: 'Send my answer' }).click();
  await page.locator('#check-confirmation').waitFor();
  assert.match(await page.locator('#check-confirmation').innerText(), /the request was reopened/);
  await page.getByRole('link', { name: `Follow the reopened request #${requestId}` }).click();
  await page.waitForURL(new RegExp(`${requestUrl}$`));
  await page.getByText('Status: In progress', { exact: true }).waitFor();
  await signOut(page);
});

test('a consumer answers a pulse; below the threshold the results say "not enough responses"', async () => {
  const { page } = browser;
  const name = `Browser pulse ${RUN}`;
  await signIn(page, ADMIN);
  await page.getByRole('link', { name: 'Pulses' }).click();
  await page.getByLabel(/^Name/).fill(name);
  await page.getByLabel(/^Closes \(/).fill('2099-01-01T12:00');
  await page.getByRole('button', { name: 'Open the round' }).click();
  await page.waitForURL(/\/pulses\/\d+$/);
  const roundUrl = new URL(page.url()).pathname;
  const round = await demo.get(`/api/v1${roundUrl}`);
  assert.ok(round.cells.length > 0, 'the round asks about the agreed cells');
  const cell = round.cells.find((candidate) => demo.people.some((person) => person.department_id === candidate.consumer_department_id && person.role === 'member'));
  assert.ok(cell, 'a cell whose consumer department has a member');
  const provider = departmentName(cell.provider_department_id);
  const consumer = departmentName(cell.consumer_department_id);
  const respondent = memberOf(cell.consumer_department_id);
  await signIn(page, respondent.email);

  await page.goto(roundUrl);
  await page.getByRole('link', { name: `Rate how ${provider} serves ${consumer}` }).click();
  await page.getByRole('heading', { name: `How does ${provider} serve ${consumer}?` }).waitFor();
  const dimensions = ['reliability', 'responsiveness', 'assurance', 'empathy', 'tangibles'];
  for (const [index, dimension] of dimensions.entries()) {
    await page.locator(`#expectation-${dimension}`).selectOption('6');
    await page.locator(`#perception-${dimension}`).selectOption(String(3 + (index % 3)));
  }
  // 30 + 20 + 20 + 10 + 10 = 90: one short.
  for (const [dimension, points] of [['reliability', 30], ['responsiveness', 20], ['assurance', 20], ['empathy', 10], ['tangibles', 10]]) {
    await page.locator(`#importance-${dimension}`).fill(String(points));
  }
  await page.getByLabel(/^Comment/).fill('Answers come quickly, but often incomplete.');
  await page.getByRole('button', { name: 'Send my answer' }).click();
  await page.locator('#importance-error').waitFor();
  assert.match(await page.locator('#importance-error').innerText(), /add up to 100 \(they add up to 90\)/);
  assert.equal(await page.locator('#perception-assurance').inputValue(), '5', 'ratings kept');
  assert.equal(await page.locator('#importance-reliability').inputValue(), '30', 'points kept');
  await accessibleAtBothWidths(page, 'the pulse form with an error');
  await page.locator('#importance-tangibles').fill('20');
  await page.getByRole('button', { name: 'Send my answer' }).click();
  await page.locator('#pulse-recorded').waitFor();
  await page.getByText('Answered', { exact: true }).first().waitFor();
  await signOut(page);

  // The round closes with one answer: below k, so nothing of it is shown.
  await signIn(page, ADMIN);
  await page.goto(roundUrl);
  await page.getByRole('button', { name: 'Close the round now' }).click();
  await page.getByText('Closed: results available').waitFor();
  const answered = page.locator(`#cell-${cell.provider_department_id}-${cell.consumer_department_id}`).locator('..');
  assert.match(await answered.innerText(), /not enough responses/);
  assert.doesNotMatch(await answered.innerText(), /incomplete/, 'the comment of a withheld group is not shown');
  assert.equal(await answered.locator('table, svg').count(), 0);
  await signOut(page);
});

test('a closed demo round shows gaps, the mirror chart and "not enough responses"', async () => {
  const { page } = browser;
  await signIn(page, ADMIN);
  await page.getByRole('link', { name: 'Pulses' }).click();
  await page.getByRole('link', { name: '2026 Q3 relationship pulse' }).click();
  await page.getByRole('heading', { name: 'Results' }).waitFor();
  assert.ok(await page.locator('svg[role="img"] title').count() > 0, 'mirror charts have text alternatives');
  assert.ok(await page.getByRole('columnheader', { name: 'Mirror gap' }).count() > 0);
  assert.ok(await page.locator('section.pulse-cell .withheld').count() > 0, 'the small groups are withheld');
  await page.screenshot({ path: path.join(SCREENSHOTS, 'pulse-results.png'), fullPage: true });
  await accessibleAtBothWidths(page, 'pulse results');
  await signOut(page);
});
