// Objectives and the round table in a real browser, against the demo: a
// frustration is refused without its mirror (the error at the field), then
// posted with one and voted for; a measure is checked in and its progress bar
// moves; and the alignment pages pass the accessibility check at desktop and
// phone width.
'use strict';
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const { ADMIN, SCREENSHOTS, openDemoBrowser, signIn, signOut, allPages, demoPeopleAndDepartments, currentQuarter, seriousViolations, assertFitPhones } = require('../lib.js');

let browser;
let demo;

/** What the tests need from the demo, read through the API as the admin (not assumed). */
async function readDemo(context) {
  const { get, people, departments } = await demoPeopleAndDepartments(context);
  const objectives = await allPages(get, `/api/v1/objectives?period=${currentQuarter()}`);
  const topics = await allPages(get, '/api/v1/topics');
  const sessions = await allPages(get, '/api/v1/sessions');
  const reviews = await allPages(get, '/api/v1/reviews');
  const memberOf = (departmentId) => people.find((person) => person.department_id === departmentId
    && person.role === 'member' && person.active !== false);
  // A measure well short of its target, with a member of a contributing department.
  const measure = objectives.flatMap((objective) => objective.measures)
    .find((candidate) => candidate.progress < 0.8 && !candidate.target_reached && candidate.contributors
      .some((contributor) => memberOf(contributor.department_id)));
  assert.ok(measure, 'the demo has a measure short of its target');
  const checker = memberOf(measure.contributors.find((contributor) => memberOf(contributor.department_id)).department_id);
  const speaker = people.find((person) => person.role === 'member' && person.department_id && person.active !== false);
  const other = departments.find((department) => department.id !== speaker.department_id);
  assert.ok(topics.length && sessions.length && reviews.length, 'the demo has topics, sessions and reviews');
  return { measure, checker, speaker, other, topic: topics[0], session: sessions[0], review: reviews[0] };
}

before(async () => {
  ({ browser, demo } = await openDemoBrowser(readDemo));
});

after(async () => {
  await browser?.close();
});

test('a frustration needs its mirror, then is posted and voted for', async () => {
  const { page } = browser;
  const title = `Browser test: briefs come too late ${Date.now()}`;
  await signIn(page, demo.speaker.email);
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Round table', exact: true }).click();
  await page.getByRole('heading', { name: 'Raise a topic' }).waitFor();
  await page.getByLabel('Kind of topic').selectOption('frustration');
  await page.getByLabel('About', { exact: true }).selectOption(String(demo.other.id));
  await page.getByLabel('Title').fill(title);
  await page.getByLabel('What happens').fill('We hear about campaigns the day they start.');
  await page.getByRole('button', { name: 'Post the topic' }).click();

  // Refused at the mirror field, with everything typed kept.
  const mirrorError = page.locator('#mirror-error');
  await mirrorError.waitFor();
  assert.match(await mirrorError.innerText(), /own department could do differently/);
  const mirror = page.getByLabel('The mirror: what could your own department do differently?');
  assert.equal(await mirror.getAttribute('aria-invalid'), 'true');
  assert.equal(await page.getByLabel('Title').inputValue(), title);
  assert.equal(await page.getByLabel('About', { exact: true }).inputValue(), String(demo.other.id));

  await mirror.fill('We could share our campaign calendar a month ahead.');
  await page.getByRole('button', { name: 'Post the topic' }).click();
  await page.waitForURL(/\/round-table\?posted=\d+/);
  await page.getByText('Your topic was posted').waitFor();
  const topic = page.locator('article.topic', { has: page.getByRole('heading', { name: title }) });
  await topic.getByText('We could share our campaign calendar a month ahead.').waitFor();
  await topic.getByText('0 votes').waitFor();

  // Vote: the count moves and the button offers to withdraw; voting is one per person.
  await topic.getByRole('button', { name: `Vote for “${title}”` }).click();
  await topic.getByText('1 vote, including yours').waitFor();
  await topic.getByRole('button', { name: `Withdraw my vote for “${title}”` }).waitFor();
  await page.reload();
  await topic.getByText('1 vote, including yours').waitFor();
  await page.screenshot({ path: path.join(SCREENSHOTS, 'round-table.png'), fullPage: true });
  await signOut(page);
});

test('checking a measure in moves its progress bar', async () => {
  const { page } = browser;
  const { measure } = demo;
  await signIn(page, demo.checker.email);
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Objectives', exact: true }).click();
  await page.getByRole('heading', { name: `Objectives ${currentQuarter()}` }).waitFor();
  await page.getByRole('link', { name: measure.name }).first().click();
  await page.getByRole('heading', { name: measure.name, level: 1 }).waitFor();
  const bar = page.getByRole('progressbar', { name: `Progress of ${measure.name}` });
  const before = Number(await bar.getAttribute('value'));

  // Nine tenths of the way from baseline to target.
  const value = measure.baseline + (measure.target - measure.baseline) * 0.9;
  const note = `Browser test check-in ${Date.now()}`;
  await page.getByLabel(/Value measured today/).fill('not a number');
  await page.getByRole('button', { name: 'Record the check-in' }).click();
  await page.locator('#checkin-value-error').waitFor();
  await page.getByLabel(/Value measured today/).fill(String(value));
  await page.getByLabel('Note').fill(note);
  await page.getByRole('button', { name: 'Record the check-in' }).click();
  await page.getByRole('cell', { name: note }).waitFor();
  const after = Number(await page.getByRole('progressbar', { name: `Progress of ${measure.name}` }).getAttribute('value'));
  assert.equal(after, 90, `the bar moved from ${before} to nine tenths`);
  assert.ok(after > before, `the bar moved forward from ${before}`);
  await page.getByText(`${after} %`).first().waitFor();
  assert.ok(await page.locator('svg[role="img"] title').count() > 0, 'the chart has a text alternative');
  await page.screenshot({ path: path.join(SCREENSHOTS, 'measure.png'), fullPage: true });
  await page.goto('/objectives');
  await page.screenshot({ path: path.join(SCREENSHOTS, 'objectives.png'), fullPage: true });
  await signOut(page);
});

test('the alignment pages have no serious accessibility violations, on a desktop and a phone', async () => {
  const { page } = browser;
  const consoleErrors = [];
  page.on('console', (message) => {
    if (message.type() === 'error') consoleErrors.push(`${page.url()}: ${message.text()}`);
  });
  page.on('pageerror', (error) => consoleErrors.push(`${page.url()}: ${error.message}`));
  const pages = ['/objectives', `/measures/${demo.measure.id}`, '/reviews', `/reviews/${demo.review.id}`,
    '/round-table', `/topics/${demo.topic.id}`, '/sessions', `/sessions/${demo.session.id}`, '/actions',
    '/actions?overdue=true', '/enhancements'];
  await signIn(page, ADMIN);
  for (const pathname of pages) {
    await page.goto(pathname);
    assert.deepEqual(await seriousViolations(page), [], `on ${pathname}`);
  }
  await assertFitPhones(page, pages);
  assert.deepEqual(consoleErrors, []);
  await signOut(page);
});
