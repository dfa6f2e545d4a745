// The place tree: 镇 → 行政村 → 社, each with its household and toilet counts.
// Keyboard: ↑/↓ move, → opens a village, ← closes it, Enter/Space selects.

import { el } from '../dom.js';

const counts = (n) => `${n.households}户 · ${n.toilets}厕`;

export class PlaceTree {
  constructor(container, onSelect) {
    this.container = container;
    this.onSelect = onSelect;
    this.open = new Set();
    this.selected = 'town';
    container.addEventListener('keydown', (e) => this.onKey(e));
  }

  /** tree: the core's Tree; townName: shown as the root. */
  show(tree, townName) {
    this.tree = tree;
    this.townName = townName;
    this.render();
  }

  node(key, label, n, level, { toggle, expanded } = {}) {
    const selected = key === this.selected;
    return el('div', {
      class: `node level-${level}${selected ? ' selected' : ''}`,
      role: 'treeitem',
      tabindex: selected ? '0' : '-1',
      'aria-selected': selected ? 'true' : 'false',
      'aria-expanded': toggle ? String(!!expanded) : undefined,
      dataset: { node: key },
      onclick: (e) => {
        if (toggle && e.target.classList.contains('twisty')) this.toggle(key);
        else this.select(key, true);
      },
    },
    el('span', { class: 'twisty', 'aria-hidden': 'true' }, toggle ? (expanded ? '▾' : '▸') : ''),
    el('span', { class: 'node-name' }, label),
    el('span', { class: 'node-count' }, counts(n)));
  }

  render() {
    const t = this.tree;
    const rows = [this.node('town', this.townName, t, 0)];
    for (const v of t.villages) {
      const key = `village:${v.id}`;
      const expanded = this.open.has(key);
      rows.push(this.node(key, v.name, v, 1, { toggle: true, expanded }));
      if (expanded) {
        for (const g of v.groups) rows.push(this.node(`group:${g.id}`, g.name, g, 2));
      }
    }
    this.container.replaceChildren(...rows);
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
    this.focusSelected();
    this.onSelect(this.describe(key));
  }

  focusSelected() {
    this.container.querySelector('.node.selected')?.focus();
  }

  onKey(e) {
    const nodes = [...this.container.querySelectorAll('.node')];
    const i = nodes.findIndex((n) => n.dataset.node === this.selected);
    const key = this.selected;
    let next = null;
    switch (e.key) {
      case 'ArrowDown': next = nodes[Math.min(i + 1, nodes.length - 1)]; break;
      case 'ArrowUp': next = nodes[Math.max(i - 1, 0)]; break;
      case 'ArrowRight':
        if (key.startsWith('village:') && !this.open.has(key)) this.toggle(key);
        break;
      case 'ArrowLeft':
        if (key.startsWith('village:') && this.open.has(key)) this.toggle(key);
        break;
      default: return;
    }
    e.preventDefault();
    if (next && next.dataset.node !== key) this.select(next.dataset.node, false);
  }
}
