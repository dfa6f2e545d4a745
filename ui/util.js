// Small helpers the screens share that are not about the DOM.

/** Today's local date as YYYY-MM-DD (what a date input holds). */
export function today() {
  const d = new Date();
  const p = (n) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}`;
}

/**
 * Stale-answer guard for a view that loads data: `const begin = latest()` once per view, then
 * `const current = begin()` before each request and `if (!current()) return;` after each await.
 * `current()` stays true only until the next `begin()`, so a late answer for a place that is no
 * longer selected never overwrites the newer one.
 */
export function latest() {
  let generation = 0;
  return () => {
    generation += 1;
    const mine = generation;
    return () => mine === generation;
  };
}

/**
 * A date field shown and typed as 年-月-日 (2026-11-29) whatever the webview's locale: a text
 * input, not `type=date` (which WebKit shows as 12/04/2026). Spread into `el('input', …)`.
 */
export const DATE_FIELD = {
  type: 'text', class: 'date', placeholder: '2026-11-29', maxlength: 10, inputmode: 'numeric',
  autocomplete: 'off', title: '年-月-日，例如 2026-11-29（也可以写 2026/11/29、2026.11.29 或 20261129）',
};

/** 2026/11/29, 2026.11.29, 2026年11月29日, 2026-11-9 or 20261129 as 2026-11-29; else unchanged. */
export function normalizeDate(value) {
  const s = value.trim().replace(/[年月./]/g, '-').replace(/日$/, '');
  const m = s.match(/^(\d{4})-(\d{1,2})-(\d{1,2})$/) ?? s.match(/^(\d{4})(\d{2})(\d{2})$/);
  return m ? `${m[1]}-${m[2].padStart(2, '0')}-${m[3].padStart(2, '0')}` : value.trim();
}

/**
 * A screen made on its first use (#21: the window holds only the code of what has been opened).
 * `make()` loads the screen's module and builds it, once; every method called on the returned
 * stand-in waits for that and returns a promise of the method's result.
 *
 *   const print = onFirstUse(() => import('./screens/print.js').then((m) => new m.PrintDialog()));
 *   print.open(kinds, filter, title).catch(showError);
 */
export function onFirstUse(make) {
  let made = null;
  const screen = () => (made ??= make());
  return new Proxy({}, {
    get: (_, name) => {
      if (name === 'then') return undefined;
      // `ready()`: the screen built (a view is shown only then, so its buttons answer at once).
      if (name === 'ready') return () => screen().then(() => undefined);
      return (...args) => screen().then((s) => s[name](...args));
    },
  });
}
