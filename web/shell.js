// SPDX-License-Identifier: Apache-2.0
// The markup every page shares, put in place before the page's module runs
// (import this first): the language select (#ui-lang-slot), the agenda card
// (#agenda-card) and the sign-in form (#login-panel). Strings are keys of
// the tables (data-i18n); i18n.js fills them in.

const LANGUAGE = `
  <label for="ui-lang" data-i18n="common.ui_lang"></label>
  <select id="ui-lang"></select>`;

const AGENDA = `
  <h2 id="agenda-heading" data-i18n="meeting.agenda_heading"></h2>
  <p id="agenda-item" class="agenda-item" aria-live="polite" data-i18n="common.loading"></p>
  <p id="session-line" class="session-line" aria-live="polite"></p>`;

const LOGIN = `
  <h2 id="login-heading" data-i18n="login.heading"></h2>
  <form id="login-form" novalidate>
    <div class="field">
      <label for="badge" data-i18n="login.badge"></label>
      <input id="badge" name="badge" type="text" autocomplete="username"
             autocapitalize="characters" spellcheck="false" placeholder="WTPF-0000" required>
    </div>
    <div class="field">
      <label for="code" data-i18n="login.code"></label>
      <input id="code" name="code" type="password" autocomplete="current-password" required>
    </div>
    <p id="login-error" class="error" role="alert" aria-live="assertive"></p>
    <button id="login" type="submit" class="primary" data-i18n="login.submit"></button>
  </form>`;

function fill(id, html, attrs = {}) {
  const el = document.getElementById(id);
  if (!el) return;
  el.insertAdjacentHTML('afterbegin', html);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, v);
}

fill('ui-lang-slot', LANGUAGE, { class: 'ui-lang' });
fill('agenda-card', AGENDA, { class: 'card agenda', 'aria-labelledby': 'agenda-heading' });
fill('login-panel', LOGIN, { class: 'card', 'aria-labelledby': 'login-heading' });
