// The household list of the selected place: a virtual list that fetches pages on demand, so a
// district of 300,000 toilets never builds more than a screenful of rows.
// Keyboard: ↑/↓, PageUp/PageDown, Home/End move the selection; the details follow it; Enter opens
// the selected household's inspection form.

import { el } from '../dom.js';

const CHECK_LABELS = { no_toilet: '无户厕', unchecked: '未核查', self_checked: '已自查', rechecked: '已复核' };
import { label } from '../labels.js';
import { listHouseholds } from '../ipc.js';
import { latest } from '../util.js';

const ROW_HEIGHT = 34;
const PAGE = 100;
const OVERSCAN = 8;

export class HouseholdList {
  /** onSelect(id) when a row is selected; onOpen(id) on Enter (the inspection form). */
  constructor({ body, spacer, countEl, onSelect, onOpen, onError }) {
    Object.assign(this, { body, spacer, countEl, onSelect, onOpen, onError });
    this.begin = latest();
    this.current = this.begin();
    this.total = 0;
    this.pages = new Map();
    this.selectedIndex = -1;
    this.selectedId = null;
    body.addEventListener('scroll', () => this.render());
    body.addEventListener('keydown', (e) => this.onKey(e));
    body.addEventListener('click', (e) => {
      const row = e.target.closest('.hh-row');
      if (row) this.select(Number(row.dataset.index));
    });
    new ResizeObserver(() => this.render()).observe(body);
  }

  /** The search box: typing narrows the list, Esc clears it, ↓/Enter go to the rows, Ctrl+F
   *  comes back to it from anywhere. */
  bindSearch(input) {
    let timer;
    input.addEventListener('input', () => {
      clearTimeout(timer);
      timer = setTimeout(() => this.load(this.scope ?? { kind: 'town' }, input.value), 200);
    });
    input.addEventListener('keydown', (e) => {
      if (e.key === 'Escape') {
        input.value = '';
        this.load(this.scope ?? { kind: 'town' }, '');
      } else if (e.key === 'ArrowDown' || e.key === 'Enter') {
        e.preventDefault();
        this.body.focus();
        if (this.selectedIndex < 0) this.select(0);
      }
    });
    document.addEventListener('keydown', (e) => {
      if ((e.ctrlKey || e.metaKey) && e.key.toLowerCase() === 'f') {
        e.preventDefault();
        input.focus();
        input.select();
      }
    });
  }

  /** Narrows the list further: {sample, check} (a sample's households, a 核查 state). */
  setFilter(extra) {
    this.extra = { ...extra };
  }

  /** Shows the households of `scope` matching `search`, from the top. */
  async load(scope, search) {
    this.scope = scope;
    this.search = search;
    this.current = this.begin();
    this.pages = new Map();
    this.selectedIndex = -1;
    this.selectedId = null;
    this.selectionLeft = false;
    this.body.scrollTop = 0;
    this.countEl.textContent = '正在查询…';
    // Inside one village the place column names the 社 only, and gives its width to the others.
    const one = this.oneVillage();
    const head = document.querySelector('.list-head');
    head?.classList.toggle('one-village', one);
    this.body.classList.toggle('one-village', one);
    const place = head?.querySelector('.c-place');
    if (place) place.textContent = one ? '社' : '行政村 · 社';
    await this.fetchPage(0);
    this.render();
  }

  /** Reads the rows again where the list stands (after a save): the selected household stays
   *  selected while it is listed; when it left the list (worked off a worklist), the selection
   *  stays at its place, now the household after it, and `selectionLeft` says so. */
  async refresh() {
    if (!this.scope) return;
    const { selectedId, selectedIndex } = this;
    const top = this.body.scrollTop;
    this.current = this.begin();
    this.pages = new Map();
    const n = Math.floor(Math.max(selectedIndex, 0) / PAGE);
    const rows = await this.fetchPage(n);
    this.selectionLeft = false;
    if (Array.isArray(rows) && selectedId != null) {
      const at = rows.findIndex((r) => r.id === selectedId);
      if (at >= 0) this.selectedIndex = n * PAGE + at;
      else this.selectionLeft = true;
    }
    this.body.scrollTop = top;
    this.render();
  }

  async fetchPage(n) {
    if (this.pages.has(n)) return this.pages.get(n);
    const { current } = this;
    const pending = listHouseholds(this.scope, this.search, n * PAGE, PAGE, this.extra ?? {}).then(
      (page) => {
        if (!current()) return null;
        this.total = page.total;
        this.note = page.note ?? '';
        this.pages.set(n, page.rows);
        this.updateCount();
        return page.rows;
      },
      (err) => {
        if (current()) this.pages.delete(n);
        this.onError(err);
        return null;
      },
    );
    this.pages.set(n, pending);
    return pending;
  }

  updateCount() {
    const q = this.search.trim();
    this.countEl.textContent = q || this.extra?.check || this.extra?.sample || this.extra?.households ? `找到 ${this.total} 户` : `共 ${this.total} 户`;
    // A role that sees ID numbers masked searches only the digits the mask shows.
    this.countEl.title = this.note ?? '';
    if (q && this.note) this.countEl.textContent += '（只按身份证号后 4 位）';
  }

  rowAt(i) {
    const page = this.pages.get(Math.floor(i / PAGE));
    return Array.isArray(page) ? page[i % PAGE] : undefined;
  }

  render() {
    this.spacer.style.height = `${this.total * ROW_HEIGHT}px`;
    const top = this.body.scrollTop;
    const height = this.body.clientHeight || 600;
    const first = Math.max(0, Math.floor(top / ROW_HEIGHT) - OVERSCAN);
    const last = Math.min(this.total - 1, Math.ceil((top + height) / ROW_HEIGHT) + OVERSCAN);
    const rows = [];
    const missing = new Set();
    for (let i = first; i <= last; i += 1) {
      const r = this.rowAt(i);
      if (!r) missing.add(Math.floor(i / PAGE));
      rows.push(this.rowElement(i, r));
    }
    this.spacer.replaceChildren(...rows);
    for (const n of missing) {
      if (!this.pages.has(n)) this.fetchPage(n).then(() => this.render());
    }
    if (this.total === 0 && this.pages.has(0) && Array.isArray(this.pages.get(0))) {
      this.spacer.replaceChildren(el('div', { class: 'list-none' }, this.search.trim()
        ? '没有找到符合条件的农户。可以换一个字、拼音首字母或身份证号后几位再试。'
        : '这里还没有农户。'));
    }
  }

  /** Whether every row is in the one village shown (not the town, a sample or a batch). */
  oneVillage() {
    return Boolean(this.scope && this.scope.kind !== 'town' && !this.extra?.sample && !this.extra?.households);
  }

  /** The place column: the 社 alone when the village is the one shown, else 行政村 · 社. */
  placeText(r) {
    return this.oneVillage() ? r.group_name : `${r.village_name} · ${r.group_name}`;
  }

  rowElement(i, r) {
    const selected = i === this.selectedIndex;
    const row = el('div', {
      class: `hh-row${selected ? ' selected' : ''}${r ? '' : ' loading'}`,
      role: 'option',
      'aria-selected': selected ? 'true' : 'false',
      dataset: { index: i, id: r ? r.id : '' },
    },
    el('span', { class: 'c-no' }, i + 1),
    el('span', { class: 'c-name' }, r ? r.head_name : '…'),
    el('span', { class: 'c-place' }, r ? this.placeText(r) : ''),
    el('span', { class: 'c-id mono' }, r ? (r.id_number_masked ?? '未登记') : ''),
    el('span', { class: `c-cat cat-${r ? r.category : ''}` }, r ? label('HouseholdCategory', r.category) : ''),
    el('span', { class: 'c-toilets' }, r ? r.toilet_count : ''),
    el('span', { class: `c-check check-${r ? r.check : ''}` }, r ? CHECK_LABELS[r.check] : ''));
    row.style.top = `${i * ROW_HEIGHT}px`;
    return row;
  }

  async select(i, { debounce = false } = {}) {
    if (i < 0 || i >= this.total) return;
    this.selectedIndex = i;
    this.selectionLeft = false;
    this.ensureVisible(i);
    let r = this.rowAt(i);
    if (!r) {
      await this.fetchPage(Math.floor(i / PAGE));
      r = this.rowAt(i);
    }
    this.render();
    if (!r) return;
    this.selectedId = r.id;
    clearTimeout(this.selectTimer);
    if (debounce) this.selectTimer = setTimeout(() => this.onSelect(r.id), 120);
    else this.onSelect(r.id);
  }

  ensureVisible(i) {
    const top = i * ROW_HEIGHT;
    const h = this.body.clientHeight;
    if (top < this.body.scrollTop) this.body.scrollTop = top;
    else if (top + ROW_HEIGHT > this.body.scrollTop + h) this.body.scrollTop = top + ROW_HEIGHT - h;
  }

  onKey(e) {
    if (e.key === 'Enter' && this.selectedId !== null) {
      e.preventDefault();
      this.onOpen?.(this.selectedId);
      return;
    }
    const perPage = Math.max(1, Math.floor(this.body.clientHeight / ROW_HEIGHT) - 1);
    const cur = this.selectedIndex;
    const moves = {
      ArrowDown: cur + 1,
      ArrowUp: Math.max(0, cur - 1),
      PageDown: cur + perPage,
      PageUp: Math.max(0, cur - perPage),
      Home: 0,
      End: this.total - 1,
    };
    if (!(e.key in moves)) return;
    e.preventDefault();
    this.select(Math.min(this.total - 1, moves[e.key]), { debounce: true });
  }
}
