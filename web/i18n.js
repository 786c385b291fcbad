// SPDX-License-Identifier: Apache-2.0
// The pages' strings: one table per UN language (web/i18n/*.js, the same
// keys in each; tests/browser/i18n_keys.test.mjs compares them). The
// language follows the browser (navigator.languages), ?lang=xx or the
// page's own select (remembered in localStorage); Arabic turns the page
// right to left.
//
// Markup: data-i18n="key" sets textContent; data-i18n-attr="attr:key;..."
// sets attributes (aria-label, placeholder, title). Code calls t(key, {p}).
import ar from './i18n/ar.js';
import en from './i18n/en.js';
import es from './i18n/es.js';
import fr from './i18n/fr.js';
import ru from './i18n/ru.js';
import zh from './i18n/zh.js';

export const TABLES = { ar, zh, en, fr, ru, es };
export const UI_LANGUAGES = Object.keys(TABLES);
const RTL = new Set(['ar']);
const STORE_KEY = 'rostrum.lang';

let current = 'en';
const listeners = [];
// Keys looked up but absent from the current table (the render test reads it).
export const missing = new Set();
globalThis.rostrumI18n = { missing, lang: () => current };

export function lang() {
  return current;
}

export function t(key, params = {}) {
  let s = TABLES[current][key];
  if (s === undefined) {
    missing.add(`${current}:${key}`);
    s = TABLES.en[key] ?? key;
  }
  return s.replace(/\{(\w+)\}/g, (m, name) => (name in params ? String(params[name]) : m));
}

// Whether the tables have @key (for codes from the server: no 'missing' entry).
export function has(key) {
  return key in TABLES.en;
}

// The first of the browser's languages that the pages speak.
export function browserLanguage(list = navigator.languages || [navigator.language]) {
  for (const tag of list) {
    const base = String(tag).toLowerCase().split('-')[0];
    if (TABLES[base]) return base;
  }
  return 'en';
}

function chosenLanguage() {
  const q = new URLSearchParams(location.search).get('lang');
  if (q && TABLES[q]) return q;
  try {
    const s = localStorage.getItem(STORE_KEY);
    if (s && TABLES[s]) return s;
  } catch { /* storage may be off */ }
  return browserLanguage();
}

// A language in its own name ("Français", "Español").
export function ownName(code) {
  try {
    const n = new Intl.DisplayNames([code], { type: 'language' }).of(code);
    return n.charAt(0).toLocaleUpperCase(code) + n.slice(1);
  } catch {
    return code;
  }
}

export function translate(root = document) {
  for (const el of root.querySelectorAll('[data-i18n]')) el.textContent = t(el.dataset.i18n);
  for (const el of root.querySelectorAll('[data-i18n-attr]')) {
    for (const pair of el.dataset.i18nAttr.split(';')) {
      const [attr, key] = pair.split(':').map((s) => s.trim());
      if (attr && key) el.setAttribute(attr, t(key));
    }
  }
}

export function setLanguage(code, remember = true) {
  if (!TABLES[code]) return;
  current = code;
  document.documentElement.lang = code;
  document.documentElement.dir = RTL.has(code) ? 'rtl' : 'ltr';
  if (remember) {
    try { localStorage.setItem(STORE_KEY, code); } catch { /* storage may be off */ }
  }
  translate();
  const sel = document.getElementById('ui-lang');
  if (sel) sel.value = code;
  for (const fn of listeners) fn(code);
}

// Calls @fn after every change of language (pages re-render their dynamic text).
export function onLanguage(fn) {
  listeners.push(fn);
}

// Fills the page's #ui-lang select (languages in their own names) and
// applies the chosen language.
export function initI18n() {
  const sel = document.getElementById('ui-lang');
  if (sel) {
    for (const code of UI_LANGUAGES) {
      const opt = document.createElement('option');
      opt.value = code;
      opt.lang = code;
      opt.textContent = ownName(code);
      sel.append(opt);
    }
    sel.addEventListener('change', () => setLanguage(sel.value));
  }
  setLanguage(chosenLanguage(), false);
}

export function formatNumber(n, digits = 0) {
  return new Intl.NumberFormat(current, { maximumFractionDigits: digits, minimumFractionDigits: digits }).format(n);
}

// "m:ss" (or "h:mm:ss") in the page's digits.
export function formatDuration(ms) {
  const s = Math.max(0, Math.floor(ms / 1000));
  const two = (n) => formatNumber(n).padStart(2, formatNumber(0));
  const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), sec = s % 60;
  return h ? `${formatNumber(h)}:${two(m)}:${two(sec)}` : `${formatNumber(m)}:${two(sec)}`;
}

export function formatTime(date, seconds = false) {
  return new Intl.DateTimeFormat(current, { hour: '2-digit', minute: '2-digit',
    ...(seconds ? { second: '2-digit' } : {}) }).format(date);
}
