// Shared helpers of the browser tests: launching Debian's Chromium through
// playwright-core, signing in through the real form, finding demo people
// through the JSON API, and the accessibility (axe-core) checks.
'use strict';
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const assert = require('node:assert/strict');
const { chromium } = require('playwright-core');
const { AxeBuilder } = require('@axe-core/playwright');

const BASE_URL = process.env.ROUNDTABLE_URL || 'http://127.0.0.1:8080';
const PASSWORD = 'roundtable-demo';
const ADMIN = 'admin@demo.example';
const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const SCREENSHOTS = path.resolve(__dirname, '..', 'docs', 'screenshots');

/** A fresh browser profile; returns { context, page, close }. */
async function openBrowser(viewport = { width: 1280, height: 900 }) {
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'roundtable-pw-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM, headless: true, args: ARGS, viewport, baseURL: BASE_URL,
  });
  const page = context.pages()[0] ?? await context.newPage();
  return {
    context,
    page,
    async close() {
      await context.close();
      fs.rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** Signs in through the sign-in form and waits for the home page. */
async function signIn(page, email, password = PASSWORD) {
  await page.context().clearCookies();
  await page.goto('/login');
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL((url) => !url.pathname.startsWith('/login'));
}

async function signOut(page) {
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.waitForURL(/\/login/);
}

/** JSON from the API as the admin (a token-less session through the API login). */
async function adminApi(context) {
  const request = context.request;
  const login = await request.post('/api/v1/auth/login', { data: { email: ADMIN, password: PASSWORD } });
  if (!login.ok()) throw new Error(`API login failed: ${login.status()}`);
  return async (pathname) => {
    const response = await request.get(pathname);
    if (!response.ok()) throw new Error(`GET ${pathname}: ${response.status()}`);
    return response.json();
  };
}

async function allPages(get, pathname) {
  const items = [];
  let cursor = null;
  do {
    const separator = pathname.includes('?') ? '&' : '?';
    const page = await get(`${pathname}${separator}limit=200${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
    items.push(...page.items);
    cursor = page.next_cursor;
  } while (cursor);
  return items;
}

/**
 * A browser for a test file, with what `readDemo(context)` reads of the demo
 * through the API before the tests sign in; the screenshot folder exists.
 */
async function openDemoBrowser(readDemo) {
  const browser = await openBrowser();
  const demo = await readDemo(browser.context);
  await browser.context.clearCookies();
  fs.mkdirSync(SCREENSHOTS, { recursive: true });
  return { browser, demo };
}

/** The admin's API (`get`, as `adminApi` gives it) and the demo's people and departments read through it. */
async function demoPeopleAndDepartments(context) {
  const get = await adminApi(context);
  const people = await allPages(get, '/api/v1/people');
  const departments = await allPages(get, '/api/v1/departments');
  return { get, people, departments };
}

/** This quarter as the API names periods, e.g. `2026-Q4`. */
function currentQuarter() {
  const today = new Date();
  return `${today.getUTCFullYear()}-Q${Math.floor(today.getUTCMonth() / 3) + 1}`;
}

/** The page's serious and critical WCAG 2.1 AA violations, one line each. */
async function seriousViolations(page) {
  const results = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze();
  return results.violations
    .filter((violation) => violation.impact === 'serious' || violation.impact === 'critical')
    .map((violation) => `${violation.id} (${violation.impact}): ${violation.help}\n    ${violation.nodes.slice(0, 3).map((node) => node.target.join(' ')).join('\n    ')}`);
}

/**
 * At phone width (375 px), each of `pages` has no serious violation and does
 * not scroll sideways; the desktop size is restored afterwards.
 */
async function assertFitPhones(page, pages) {
  await page.setViewportSize({ width: 375, height: 740 });
  for (const pathname of pages) {
    await page.goto(pathname);
    assert.deepEqual(await seriousViolations(page), [], `on ${pathname} at phone width`);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    assert.ok(overflow <= 1, `${pathname} scrolls sideways by ${overflow}px at phone width`);
  }
  await page.setViewportSize({ width: 1280, height: 900 });
}

module.exports = {
  BASE_URL, PASSWORD, ADMIN, SCREENSHOTS, openBrowser, openDemoBrowser, signIn, signOut, adminApi, allPages,
  demoPeopleAndDepartments, currentQuarter, seriousViolations, assertFitPhones,
};
