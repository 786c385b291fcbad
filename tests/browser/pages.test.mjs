// SPDX-License-Identifier: Apache-2.0
// Every page (delegate, interpreter console, operator console) in each of
// the six UN languages, in real Chromium against the real relay and
// signalling: before and after signing in, no missing string, no key
// shown raw, no empty labelled element, no console error; <html lang>
// and dir follow the language (Arabic right to left); a screenshot of each
// state under the test's output folder. Then axe-core (WCAG 2.1 A and AA
// rules) on every page in English and in Arabic: no violation.
//
//   ROSTRUM_BUILD=build node --test pages.test.mjs
//   ROSTRUM_OUT=dir   where the screenshots go (default: BUILD/meson-logs/pages)
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { Harness, build, loadChromium, watchErrors } from './harness.mjs';

const chromium = await loadChromium();
let AxeBuilder = null;
try {
  ({ AxeBuilder } = await import('@axe-core/playwright'));
} catch {
  console.log('SKIP: @axe-core/playwright is not installed (run "npm ci" in tests/browser)');
  process.exit(77);
}

const FILE_TIMEOUT_MS = 170_000;
const LANGS = ['ar', 'zh', 'en', 'fr', 'ru', 'es'];
const OUT = process.env.ROSTRUM_OUT || path.join(build, 'meson-logs', 'pages');
const PAGES = [
  { name: 'delegate', url: '/', badge: 'WTPF-0001', code: 'floor-4401', ready: '#session-panel:not([hidden])', listen: '#join',
    heard: 'window.rostrum.t_media_connected' },
  { name: 'interpreter', url: '/interpreter.html', badge: 'WTPF-0007', code: 'floor-4407', ready: '#console:not([hidden])', listen: '#listen',
    heard: 'document.querySelector("#listen-status").dataset.key === "int.listening"' },
  { name: 'operator', url: '/operator.html', badge: 'WTPF-0008', code: 'floor-4408', ready: '#console:not([hidden])' },
];
// WCAG 2.0/2.1 level A and AA rules; none disabled
const AXE_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'];

const h = new Harness('rostrum-pages-');
h.hardStop('pages.test', FILE_TIMEOUT_MS);
let browser = null;
const shots = [];
const axeReport = [];

async function openPage(p, lang) {
  const context = await browser.newContext({ ignoreHTTPSErrors: true, locale: lang, viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  page.setDefaultTimeout(15_000);
  const errors = watchErrors(page);
  await page.goto(`${h.baseUrl}${p.url}`);
  await page.waitForFunction(() => window.rostrumI18n && document.querySelector('#meeting').textContent !== '—');
  return { context, page, errors };
}

async function signIn(page, p) {
  await page.fill('#badge', p.badge);
  await page.fill('#code', p.code);
  await page.click('#login');
  await page.waitForSelector(p.ready);
  if (p.listen) {
    await page.click(p.listen);
    await page.waitForFunction(p.heard);
  }
}

// What is wrong with the rendered text of @page in @lang.
async function problems(page, lang) {
  return page.evaluate((lang) => {
    const out = [];
    const missing = [...window.rostrumI18n.missing];
    if (missing.length) out.push(`missing: ${missing.join(', ')}`);
    if (document.documentElement.lang !== lang) out.push(`html lang ${document.documentElement.lang}`);
    if (document.documentElement.dir !== (lang === 'ar' ? 'rtl' : 'ltr')) out.push(`dir ${document.documentElement.dir}`);
    const visible = (el) => el.offsetParent !== null || el.tagName === 'OPTION' || el.tagName === 'TITLE';
    for (const el of document.querySelectorAll('[data-i18n]')) {
      if (visible(el) && !el.textContent.trim()) out.push(`empty ${el.id || el.dataset.i18n}`);
    }
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    for (let n = walker.nextNode(); n; n = walker.nextNode()) {
      const s = n.textContent.trim();
      if (/^(common|login|meeting|error|quality|delegate|speak|sc|floor|removed|int|op|cat|role)\.[a-z_]+$/.test(s))
        out.push(`raw key ${s}`);
      if (/\{\w+\}/.test(s)) out.push(`unfilled ${s}`);
    }
    for (const el of document.querySelectorAll('button, label, select option')) {
      if (visible(el) && !el.textContent.trim()) out.push(`unlabelled ${el.tagName} ${el.id}`);
    }
    return out;
  }, lang);
}

describe('every page in the six languages', { timeout: FILE_TIMEOUT_MS }, () => {
  before(async () => {
    mkdirSync(OUT, { recursive: true });
    browser = await h.startStack(chromium, { relay: { languages: 'ar, zh, en, fr, ru, es' } });
  });
  after(async () => {
    await h.cleanup();
    console.log(`screenshots (${shots.length}) in ${OUT}:\n  ${shots.join('\n  ')}`);
    if (axeReport.length) console.log(`axe:\n  ${axeReport.join('\n  ')}`);
  });

  for (const p of PAGES) {
    test(`${p.name}: rendered in ${LANGS.join(', ')} without a missing string or a console error`, async (t) => {
      for (const lang of LANGS) {
        const { context, page, errors } = await openPage(p, lang);
        try {
          assert.deepEqual(await problems(page, lang), [], `${p.name} ${lang}, signed out`);
          const a = path.join(OUT, `${p.name}-${lang}-login.png`);
          await page.screenshot({ path: a, fullPage: true });
          await signIn(page, p);
          assert.deepEqual(await problems(page, lang), [], `${p.name} ${lang}, signed in`);
          const b = path.join(OUT, `${p.name}-${lang}.png`);
          await page.screenshot({ path: b, fullPage: true });
          shots.push(a, b);
          assert.deepEqual(errors, [], `${p.name} ${lang}: console errors`);
          // the page's own select switches the language without a reload
          const other = lang === 'en' ? 'ar' : 'en';
          await page.selectOption('#ui-lang', other);
          assert.equal(await page.evaluate(() => document.documentElement.lang), other);
          assert.deepEqual(await problems(page, other), [], `${p.name} ${lang} → ${other}`);
        } finally {
          await context.close();
        }
      }
      t.diagnostic(`${LANGS.length * 2} screenshots of ${p.name}`);
    });
  }

  for (const p of PAGES) {
    for (const lang of ['en', 'ar']) {
      test(`axe (WCAG 2.1 A/AA) on the ${p.name} page in ${lang}: no violation`, async (t) => {
        const { context, page } = await openPage(p, lang);
        try {
          const found = [];
          for (const state of ['signed out', 'signed in']) {
            if (state === 'signed in') await signIn(page, p);
            const r = await new AxeBuilder({ page }).withTags(AXE_TAGS).analyze();
            for (const v of r.violations)
              found.push(`${state}: ${v.id} (${v.impact}) ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
            axeReport.push(`${p.name} ${lang} ${state}: ${r.violations.length} violations, ${r.passes.length} rules passed, ${r.incomplete.length} to review`);
          }
          t.diagnostic(axeReport.slice(-2).join('; '));
          assert.deepEqual(found, [], `${p.name} ${lang}`);
        } finally {
          await context.close();
        }
      });
    }
  }
});
