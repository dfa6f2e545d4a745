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
