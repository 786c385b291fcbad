// SPDX-License-Identifier: Apache-2.0
// The pages' string tables (web/i18n/*.js), without a browser: the six UN
// languages have exactly the same keys, no empty string, the same {params}
// per key; every key the pages use (data-i18n, data-i18n-attr, t('...')
// in web/*.js, and the keys built from server codes) is in the tables.
//
//   node --test i18n_keys.test.mjs
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { repo } from './harness.mjs';

const web = path.join(repo, 'web');
const LANGS = ['ar', 'zh', 'en', 'fr', 'ru', 'es'];
const tables = {};
for (const l of LANGS) tables[l] = (await import(pathToFileURL(path.join(web, 'i18n', `${l}.js`)))).default;
const en = tables.en;
const params = (s) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();

test('the six tables have exactly the same keys', () => {
  const ref = Object.keys(en).sort();
  for (const l of LANGS) {
    const keys = Object.keys(tables[l]).sort();
    const missing = ref.filter((k) => !(k in tables[l]));
    const extra = keys.filter((k) => !(k in en));
    assert.deepEqual({ missing, extra }, { missing: [], extra: [] }, `${l}.js`);
  }
  console.log(`${ref.length} keys in each of ${LANGS.join(', ')}`);
});

test('no empty string, the same {params} as English', () => {
  for (const l of LANGS) {
    for (const [k, v] of Object.entries(tables[l])) {
      assert.equal(typeof v, 'string', `${l} ${k}`);
      assert.ok(v.trim().length > 0, `${l} ${k} is empty`);
      assert.deepEqual(params(v), params(en[k]), `${l} ${k}: params differ`);
    }
  }
});

test('the translations are translations: no table is English under another name', () => {
  for (const l of LANGS.filter((x) => x !== 'en')) {
    const same = Object.keys(en).filter((k) => tables[l][k] === en[k] && /[a-z]{4}/.test(en[k]));
    // a few are the same in French and Spanish (Actions, Volume, Participants)
    assert.ok(same.length <= 8, `${l}: ${same.length} strings identical to English: ${same.join(', ')}`);
  }
  for (const [l, script] of [['ar', /[\u0600-\u06ff]/], ['zh', /[\u4e00-\u9fff]/], ['ru', /[\u0400-\u04ff]/]]) {
    const latin = Object.entries(tables[l]).filter(([, v]) => !script.test(v) && /[A-Za-z]{3}/.test(v.replace(/\{\w+\}|HTTP|CSV|JSON|Wi-Fi|Rostrum|dBFS/g, '')));
    assert.deepEqual(latin.map(([k]) => k), [], `${l}: strings without the script`);
  }
});

test('every key the pages use is in the tables', () => {
  const used = new Set();
  for (const f of readdirSync(web).filter((x) => /\.(html|js)$/.test(x))) {
    const text = readFileSync(path.join(web, f), 'utf8').replace(/^\uFEFF/, '');
    {
      for (const m of text.matchAll(/data-i18n="([a-z]+\.[a-z_]+)"/g)) used.add(m[1]);
      for (const m of text.matchAll(/data-i18n-attr="([^"]+)"/g))
        for (const pair of m[1].split(';'))
          if (/^[a-z-]+:[a-z]+\.[a-z_]+$/.test(pair.trim())) used.add(pair.split(':')[1].trim());
    }
    if (f.endsWith('.js')) {
      // t('key'), note(el, 'key'), setStatus('key'), button('key', ...) and
      // every 'a.b' string literal that looks like a key of ours
      for (const m of text.matchAll(/'((?:common|login|meeting|error|quality|delegate|speak|sc|floor|removed|int|op|cat|role)\.[a-z_]+)'/g))
        used.add(m[1]);
    }
  }
  // keys built from codes: the server's and the page's own
  const built = {
    error: ['forbidden', 'bad_request', 'session_closed', 'relay_unavailable', 'bad_token', 'expired_token', 'unknown_seat', 'not_ready'],
    login: ['wrong_credentials', 'too_many_attempts', 'bad_request', 'internal'],
    removed: ['session_closed', 'revoked', 'removed_by_operator'],
    quality: ['good', 'fair', 'poor', 'unknown', 'hint_good', 'hint_fair', 'hint_poor', 'hint_unknown'],
    'sc.advice': ['too_quiet', 'clipping', 'narrowband', 'noisy'],
    cat: ['member_state', 'sector_member', 'associate', 'academia', 'observer', 'secretariat'],
    role: ['delegate', 'observer', 'operator', 'chair'],
    op: ['grant_label', 'up_label', 'down_label', 'remove_q_label', 'mute_label', 'remove_label'],
  };
  for (const [prefix, names] of Object.entries(built))
    for (const n of names) used.add(prefix === 'sc.advice' ? `sc.advice_${n}` : `${prefix}.${n}`);
  const absent = [...used].filter((k) => !(k in en)).sort();
  assert.deepEqual(absent, [], 'keys used by the pages but absent from en.js');
  const unused = Object.keys(en).filter((k) => !used.has(k));
  console.log(`${used.size} keys used; in the tables but not found used: ${unused.join(', ') || 'none'}`);
});
