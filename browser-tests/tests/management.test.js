// Managing the matrix and the objectives in a real browser, against the demo:
// a provider's lead drafts the agreement of a cell with one of its services
// and an obligation, proposes it and accepts for the provider; the consumer's
// lead accepts and the cell is agreed. An executive sets an objective and
// gives it a mutual measure with two contributing departments. The new pages
// pass the accessibility check at desktop and phone width.
'use strict';
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const { ADMIN, SCREENSHOTS, openDemoBrowser, signIn, signOut, adminApi, allPages, demoPeopleAndDepartments, currentQuarter, seriousViolations, assertFitPhones } = require('../lib.js');

let browser;
let demo;

/** What the tests need from the demo, read through the API as the admin (not assumed). */
async function readDemo(context) {
  const { get, people, departments } = await demoPeopleAndDepartments(context);
  const services = await allPages(get, '/api/v1/services?active=true');
  const agreements = await allPages(get, '/api/v1/agreements');
  const personById = new Map(people.map((person) => [person.id, person]));
  const leadOf = (department) => department.lead_ids.map((id) => personById.get(id))
    .find((person) => person && person.active !== false && person.role === 'lead');
  const agreementOf = (provider, consumer) => agreements.find((agreement) =>
    agreement.provider_department_id === provider.id && agreement.consumer_department_id === consumer.id);
  // A cell whose provider offers the consumer a service, led on both sides by
  // different people, with no agreement yet (else a draft one).
  const cells = [];
  for (const service of services) {
    const provider = departments.find((department) => department.id === service.provider_department_id);
    for (const consumerId of service.consumer_department_ids) {
      const consumer = departments.find((department) => department.id === consumerId);
      const providerLead = provider && leadOf(provider);
      const consumerLead = consumer && leadOf(consumer);
      if (!providerLead || !consumerLead || providerLead.id === consumerLead.id) continue;
      const agreement = agreementOf(provider, consumer);
      if (agreement && agreement.status !== 'draft') continue;
      cells.push({ provider, consumer, service, providerLead, consumerLead, agreement });
    }
  }
  cells.sort((a, b) => Number(Boolean(a.agreement)) - Number(Boolean(b.agreement)));
  assert.ok(cells.length, 'the demo has a cell with services but no agreement in force');
  const executive = people.find((person) => person.role === 'executive' && person.active !== false);
  assert.ok(executive, 'the demo has an executive');
  return { cell: cells[0], executive, departments };
}

before(async () => {
  ({ browser, demo } = await openDemoBrowser(readDemo));
});

after(async () => {
  await browser?.close();
});

test('a provider lead proposes an agreement for a service and the consumer lead accepts it', async () => {
  const { page } = browser;
  const { provider, consumer, service, providerLead, consumerLead, agreement } = demo.cell;
  await signIn(page, providerLead.email);
  if (agreement) {
    await page.goto(`/agreements/${agreement.id}`);
  } else {
    // From the cell of the matrix, which offers to draft its agreement.
    await page.goto(`/matrix/${provider.id}/${consumer.id}`);
    await page.getByRole('link', { name: 'draft one' }).click();
    await page.getByRole('heading', { name: 'Draft an agreement' }).waitFor();
    assert.equal(await page.getByLabel('Provider (the department that delivers)').inputValue(), String(provider.id));
    assert.equal(await page.getByLabel('Consumer (the department served)').inputValue(), String(consumer.id));
    await page.getByRole('button', { name: 'Draft the agreement' }).click();
    await page.waitForURL(/\/agreements\/\d+$/);
  }
  await page.getByRole('heading', { name: `Agreement: ${provider.name} → ${consumer.name}` }).waitFor();

  // A deadline that is not a number is refused at its row, the rest kept.
  const changeForm = page.locator('#change-form');
  await changeForm.getByRole('checkbox', { name: service.name, exact: true }).check();
  const obligation = 'Feedback on every delivery within the week';
  const rows = changeForm.locator('.list-row');
  const blankRow = rows.filter({ has: page.locator('input[name$=".description"][value=""]') }).first();
  const descriptionInput = blankRow.locator('input[name$=".description"]');
  const daysInput = blankRow.locator('input[name$=".due_within_business_days"]');
  const descriptionId = await descriptionInput.getAttribute('id');
  const daysId = await daysInput.getAttribute('id');
  await descriptionInput.fill(obligation);
  await daysInput.fill('soon');
  await page.getByRole('button', { name: 'Save the agreement' }).click();
  const daysError = page.locator(`#${daysId}-error`);
  await daysError.waitFor();
  assert.match(await daysError.innerText(), /whole number of business days/);
  assert.equal(await page.locator(`#${daysId}`).getAttribute('aria-invalid'), 'true');
  assert.equal(await page.locator(`#${descriptionId}`).inputValue(), obligation);
  assert.ok(await page.locator('#change-form').getByRole('checkbox', { name: service.name, exact: true }).isChecked());

  await page.locator(`#${daysId}`).fill('5');
  await page.getByRole('button', { name: 'Save the agreement' }).click();
  await page.waitForURL(/\/agreements\/\d+$/);
  await page.getByText(`${obligation} (within 5 business days)`).first().waitFor();
  const agreementUrl = new URL(page.url()).pathname;

  await page.getByRole('button', { name: 'Propose to both departments' }).click();
  await page.waitForURL(/\/agreements\/\d+$/);
  assert.equal(await page.locator('#agreement-status').innerText(), 'Proposed, waiting for acceptance');
  await page.getByRole('button', { name: `Accept for ${provider.name}` }).click();
  await page.waitForURL(/\/agreements\/\d+$/);
  assert.equal(await page.locator('#accept-form').count(), 0, 'the provider side has accepted');
  await signOut(page);

  await signIn(page, consumerLead.email);
  await page.goto(agreementUrl);
  await page.getByRole('button', { name: `Accept for ${consumer.name}` }).click();
  await page.waitForURL(/\/agreements\/\d+$/);
  assert.equal(await page.locator('#agreement-status').innerText(), 'Agreed');
  await page.screenshot({ path: path.join(SCREENSHOTS, 'agreement.png'), fullPage: true });
  // The cell of the matrix reads agreed, and links to the agreement.
  await page.goto(`/matrix/${provider.id}/${consumer.id}`);
  await page.getByRole('link', { name: /Open the agreement/ }).waitFor();
  await signOut(page);
});

test('an executive sets an objective with a mutual measure', async () => {
  const { page } = browser;
  const [first, second] = demo.departments;
  const title = `Browser test: fewer handoffs ${Date.now()}`;
  await signIn(page, demo.executive.email);
  await page.goto('/objectives');
  await page.getByRole('heading', { name: 'Set an objective' }).waitFor();
  assert.equal(await page.locator('#objective-period').inputValue(), currentQuarter());
  await page.locator('#objective-title').fill(title);
  await page.getByLabel('Category').selectOption('reputation');
  await page.getByRole('button', { name: 'Set the objective' }).click();
  await page.waitForURL(/\/objectives\?period=.*#objective-\d+$/);
  await page.getByRole('heading', { name: title }).waitFor();
  await page.getByRole('link', { name: `Add a measure to ${title}` }).click();
  await page.getByRole('heading', { name: `Add a measure to “${title}”` }).waitFor();

  await page.getByLabel('Measure', { exact: true }).fill('Requests handed back for missing input');
  await page.getByLabel('Unit (optional, e.g. %, orders, days)').fill('%');
  await page.getByLabel('Lower is better (decrease)').check();
  await page.getByLabel('Baseline', { exact: true }).fill('30');
  await page.getByLabel('Target', { exact: true }).fill('10');
  await page.getByLabel('Department 1', { exact: true }).selectOption(String(first.id));
  await page.getByLabel('What department 1 will do').fill('Checks the intake form before sending');
  // The second contributor's statement without its department: refused at the row.
  await page.getByLabel('What department 2 will do').fill('Says within a day what is missing');
  await page.getByRole('button', { name: 'Add the measure' }).click();
  const rowError = page.locator('[id="contributor-1.department_id-error"]');
  await rowError.waitFor();
  assert.equal(await page.getByLabel('What department 2 will do').inputValue(), 'Says within a day what is missing');
  assert.equal(await page.getByLabel('Baseline', { exact: true }).inputValue(), '30');
  await page.getByLabel('Department 2', { exact: true }).selectOption(String(second.id));
  await page.getByRole('button', { name: 'Add the measure' }).click();
  await page.waitForURL(/\/measures\/\d+$/);
  await page.getByText('Mutual measure: 2 departments').first().waitFor();
  await page.getByText('Says within a day what is missing').waitFor();
  await signOut(page);
});

test('the management pages have no serious accessibility violations, on a desktop and a phone', async () => {
  const { page } = browser;
  const consoleErrors = [];
  page.on('console', (message) => {
    if (message.type() === 'error') consoleErrors.push(`${page.url()}: ${message.text()}`);
  });
  page.on('pageerror', (error) => consoleErrors.push(`${page.url()}: ${error.message}`));
  const get = await adminApi(browser.context);
  const agreements = await allPages(get, '/api/v1/agreements');
  const services = await allPages(get, '/api/v1/services?active=true');
  const objectives = await allPages(get, `/api/v1/objectives?period=${currentQuarter()}`);
  const departments = await allPages(get, '/api/v1/departments');
  assert.ok(agreements.length && services.length && objectives.length && departments.length);
  await browser.context.clearCookies();
  const pages = ['/agreements', `/agreements/${agreements[0].id}`, '/services', '/services/new',
    `/services/${services[0].id}/edit`, '/objectives', `/objectives/${objectives[0].id}/measures/new`,
    '/sessions/new', '/reviews/new', '/actions/new', '/notifications/preferences', '/thank-yous',
    `/admin/departments/${departments[0].id}`, '/admin/segments', '/admin/organization', '/admin/webhooks',
    '/admin/audit-log', '/exports', `/departments/${departments[0].id}/request`];
  await signIn(page, ADMIN);
  for (const pathname of pages) {
    await page.goto(pathname);
    assert.deepEqual(await seriousViolations(page), [], `on ${pathname}`);
  }
  await page.goto('/services/new');
  await page.screenshot({ path: path.join(SCREENSHOTS, 'service-form.png'), fullPage: true });
  await assertFitPhones(page, pages);
  assert.deepEqual(consoleErrors, []);
  await signOut(page);
});
