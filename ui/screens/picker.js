// 入户调查组 as one keyboard stop: a type-ahead picker. Typing a name or its pinyin initials
// (张建国 → zjg) lists the matching staff, the household's own village first; Enter adds the
// highlighted one, Backspace on an empty field removes the last; with fewer than two chosen the
// last group used is offered first and Enter takes it whole. With the group complete and nothing
// typed, Enter is left to the form (save and next).

import { el } from '../dom.js';

const SHOWN = 8;

export class GroupPicker {
  /**
   * people(): the staff in the order to offer them (own village first); lastGroup(): the ids of
   * the last group used, or []; onChange(ids) after every change.
   */
  constructor({ id, people, lastGroup, chosen, onChange }) {
    Object.assign(this, { people, lastGroup, onChange });
    this.chosen = [...chosen];
    this.highlight = 0;
    this.moved = false;
    this.input = el('input', {
      id, autocomplete: 'off', role: 'combobox', 'aria-expanded': 'false', 'aria-controls': `${id}-list`,
      placeholder: '输入姓名或拼音首字母，回车添加',
      oninput: () => { this.highlight = 0; this.moved = false; this.renderList(); },
      onfocus: () => this.renderList(),
      onblur: () => setTimeout(() => this.hideList(), 150),
      onkeydown: (e) => this.onKey(e),
    });
    this.chips = el('span', { class: 'chips' });
    this.list = el('ul', { class: 'picker-list', id: `${id}-list`, role: 'listbox', hidden: true });
    this.count = el('span', { class: 'hint-inline picker-count' });
    this.node = el('div', { class: 'picker' }, this.chips, this.input, this.list);
    this.renderChips();
  }

  byId(id) {
    return this.people().find((p) => p.id === id);
  }

  /** What the list offers for what is typed: {label, ids} entries. */
  options() {
    const q = this.input.value.trim().toLowerCase();
    const free = this.people().filter((p) => !this.chosen.includes(p.id));
    const out = [];
    if (!q) {
      const last = this.lastGroup().filter((id) => this.byId(id));
      const adds = last.filter((id) => !this.chosen.includes(id));
      if (last.length >= 2 && adds.length) {
        out.push({ ids: adds, text: `沿用上一组：${last.map((id) => this.byId(id).name).join('、')}` });
      }
      for (const p of free) out.push({ ids: [p.id], text: p.name, note: p.unit });
    } else {
      for (const p of free) {
        if (p.name.includes(q) || (p.initials ?? []).some((i) => i.startsWith(q))) {
          out.push({ ids: [p.id], text: p.name, note: p.unit });
        }
      }
    }
    return out.slice(0, SHOWN);
  }

  onKey(e) {
    if (e.isComposing) return;
    const opts = this.options();
    const typed = this.input.value.trim() !== '';
    if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
      e.preventDefault();
      if (!opts.length) return;
      const step = e.key === 'ArrowDown' ? 1 : -1;
      this.highlight = this.moved ? (this.highlight + step + opts.length) % opts.length : 0;
      this.moved = true;
      this.renderList();
    } else if (e.key === 'Enter') {
      // Enter picks while something is typed or chosen with the arrows, or while the group is
      // not complete; otherwise it belongs to the form.
      if (!(typed || this.moved || this.chosen.length < 2)) return;
      e.preventDefault();
      e.stopPropagation();
      const pick = opts[this.highlight];
      if (pick) this.add(pick.ids);
    } else if (e.key === 'Backspace' && !typed && this.chosen.length) {
      e.preventDefault();
      this.remove(this.chosen[this.chosen.length - 1]);
    } else if (e.key === 'Escape' && !this.list.hidden) {
      e.preventDefault();
      e.stopPropagation();
      this.hideList();
    }
  }

  add(ids) {
    for (const id of ids) if (!this.chosen.includes(id)) this.chosen.push(id);
    this.input.value = '';
    this.highlight = 0;
    this.moved = false;
    this.changed();
  }

  remove(id) {
    this.chosen = this.chosen.filter((x) => x !== id);
    this.changed();
    this.input.focus();
  }

  changed() {
    this.renderChips();
    this.renderList();
    this.onChange(this.chosen);
  }

  renderChips() {
    this.chips.replaceChildren(...this.chosen.map((id) => {
      const p = this.byId(id);
      return el('span', { class: 'chip', dataset: { id } }, p?.name ?? `（已停用 ${id}）`,
        el('button', { type: 'button', tabindex: '-1', title: '从调查组中去掉', onclick: () => this.remove(id) }, '×'));
    }));
    this.count.textContent = `已选 ${this.chosen.length} 人`;
  }

  renderList() {
    if (document.activeElement !== this.input) return;
    const opts = this.options();
    const typed = this.input.value.trim() !== '';
    const show = opts.length > 0 && (typed || this.moved || this.chosen.length < 2);
    if (!show) {
      this.list.replaceChildren(typed ? el('li', { class: 'none' }, '没有找到这个人（可在“工作人员”中添加）') : '');
      this.list.hidden = !typed;
      this.input.setAttribute('aria-expanded', String(typed));
      return;
    }
    this.list.replaceChildren(...opts.map((o, i) => el('li', {
      role: 'option', class: i === this.highlight ? 'on' : '', 'aria-selected': String(i === this.highlight),
      onmousedown: (e) => { e.preventDefault(); this.add(o.ids); },
    }, o.text, o.note ? el('small', {}, o.note) : null, i === this.highlight ? el('kbd', {}, '回车') : null)));
    this.list.hidden = false;
    this.input.setAttribute('aria-expanded', 'true');
  }

  hideList() {
    this.list.hidden = true;
    this.input.setAttribute('aria-expanded', 'false');
  }
}
