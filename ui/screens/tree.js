// The place tree: 镇 → 行政村 → 社, each with its household and toilet counts.
// Keyboard: ↑/↓ move the selection, → opens a village, ← closes it.
//
// Only the rows in view (and a few around them) are built: a town has a dozen villages, a
// district file hundreds, and the window's memory should not grow with the file (#21).

import { el } from '../dom.js';

const counts = (n) => `${n.households}户 · ${n.toilets}厕`;

/** A row's height in px; `.tree .node` in styles.css has the same. */
const ROW_HEIGHT = 30;
/** Rows built above and below the visible ones, as in the household list. */
const OVERSCAN = 8;

export class PlaceTree {
  constructor(container, onSelect) {
    this.container = container;
    this.onSelect = onSelect;
    this.open = new Set();
    this.selected = 'town';
    this.rows = [];
    this.spacer = el('div', { class: 'tree-spacer', role: 'presentation' });
    container.replaceChildren(this.spacer);
    container.addEventListener('keydown', (e) => this.onKey(e));
    container.addEventListener('scroll', () => this.paint());
    new ResizeObserver(() => this.paint()).observe(container);
  }

  /** tree: the core's Tree; townName: shown as the root. */
  show(tree, townName) {
    this.tree = tree;
    this.townName = townName;
    this.render();
  }

  node(row, index) {
    const { key, label, n, level, toggle, expanded, position, siblings } = row;
    const selected = key === this.selected;
    const node = el('div', {
      class: `node level-${level}${selected ? ' selected' : ''}`,
      role: 'treeitem',
      tabindex: selected ? '0' : '-1',
      'aria-selected': selected ? 'true' : 'false',
      'aria-expanded': toggle ? String(!!expanded) : undefined,
      'aria-level': level + 1,
      'aria-posinset': position,
      'aria-setsize': siblings,
      dataset: { node: key },
      onclick: (e) => {
        if (toggle && e.target.classList.contains('twisty')) this.toggle(key);
        else this.select(key, true);
      },
    },
    el('span', { class: 'twisty', 'aria-hidden': 'true' }, toggle ? (expanded ? '▾' : '▸') : ''),
    el('span', { class: 'node-name' }, label),
    el('span', { class: 'node-count' }, counts(n)));
    node.style.top = `${index * ROW_HEIGHT}px`;
    return node;
  }

  /** The rows as the tree stands (the town, its villages, the 社 of the open ones). */
  render() {
    const t = this.tree;
    if (!t) return;
    const rows = [{ key: 'town', label: this.townName, n: t, level: 0, position: 1, siblings: 1 }];
    t.villages.forEach((v, i) => {
      const key = `village:${v.id}`;
      const expanded = this.open.has(key);
      rows.push({ key, label: v.name, n: v, level: 1, toggle: true, expanded, position: i + 1, siblings: t.villages.length });
      if (expanded) {
        v.groups.forEach((g, j) => {
          rows.push({ key: `group:${g.id}`, label: g.name, n: g, level: 2, position: j + 1, siblings: v.groups.length });
        });
      }
    });
    this.rows = rows;
    this.paint();
  }

  /** Builds the rows in view. The selected row is always built, so it can hold the focus. */
  paint() {
    const { rows } = this;
    this.spacer.style.height = `${rows.length * ROW_HEIGHT}px`;
    const top = this.container.scrollTop;
    const height = this.container.clientHeight || window.innerHeight;
    const first = Math.max(0, Math.floor(top / ROW_HEIGHT) - OVERSCAN);
    const last = Math.min(rows.length - 1, Math.ceil((top + height) / ROW_HEIGHT) + OVERSCAN);
    const built = [];
    const at = this.indexOf(this.selected);
    if (at >= 0 && at < first) built.push(this.node(rows[at], at));
    for (let i = first; i <= last; i += 1) built.push(this.node(rows[i], i));
    if (at > last) built.push(this.node(rows[at], at));
    const focused = this.container.contains(document.activeElement);
    this.spacer.replaceChildren(...built);
    if (focused) this.focusSelected();
  }

  indexOf(key) {
    return this.rows.findIndex((r) => r.key === key);
  }

  toggle(key) {
    if (this.open.has(key)) this.open.delete(key);
    else this.open.add(key);
    this.render();
    this.focusSelected();
  }

  /** The scope for the household list and a title for it. */
  describe(key) {
    if (key === 'town') {
      const title = this.townName === '全镇' ? '全镇' : `${this.townName}（全镇）`;
      return { scope: { kind: 'town' }, title };
    }
    const [kind, idText] = key.split(':');
    const id = Number(idText);
    for (const v of this.tree.villages) {
      if (kind === 'village' && v.id === id) return { scope: { kind, id }, title: v.name };
      const g = v.groups.find((x) => x.id === id);
      if (kind === 'group' && g) return { scope: { kind, id }, title: `${v.name} ${g.name}` };
    }
    return { scope: { kind: 'town' }, title: this.townName };
  }

  select(key, fromUser) {
    this.selected = key;
    if (key.startsWith('village:') && fromUser) this.open.add(key);
    this.render();
    this.scrollToSelected();
    this.focusSelected();
    this.onSelect(this.describe(key));
  }

  /** Scrolls the selected row into view (it may be far down a district's tree). */
  scrollToSelected() {
    const at = this.indexOf(this.selected);
    if (at < 0) return;
    const top = at * ROW_HEIGHT;
    const h = this.container.clientHeight;
    const before = this.container.scrollTop;
    if (top < before) this.container.scrollTop = top;
    else if (h > 0 && top + ROW_HEIGHT > before + h) this.container.scrollTop = top + ROW_HEIGHT - h;
    if (this.container.scrollTop !== before) this.paint();
  }

  focusSelected() {
    this.spacer.querySelector('.node.selected')?.focus({ preventScroll: true });
  }

  onKey(e) {
    const i = this.indexOf(this.selected);
    const key = this.selected;
    let next = null;
    switch (e.key) {
      case 'ArrowDown': next = this.rows[Math.min(i + 1, this.rows.length - 1)]; break;
      case 'ArrowUp': next = this.rows[Math.max(i - 1, 0)]; break;
      case 'ArrowRight':
        if (key.startsWith('village:') && !this.open.has(key)) this.toggle(key);
        break;
      case 'ArrowLeft':
        if (key.startsWith('village:') && this.open.has(key)) this.toggle(key);
        break;
      default: return;
    }
    e.preventDefault();
    if (next && next.key !== key) this.select(next.key, false);
  }
}
