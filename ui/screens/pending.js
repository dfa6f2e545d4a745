// 待核实清单: the values imports left empty, by village and 社. Each row takes a corrected value
// (read as the import reads that column) or a note for "核实后留空"; the list prints and exports.

import { $, el, toast } from '../dom.js';
import * as ipc from '../ipc.js';
import { latest } from '../util.js';

export class PendingDialog {
  /**
   * onPrint(scope, title): opens the print dialog on the worklist; onChanged(): the data changed
   * (the toolbar count and the shown household follow).
   */
  constructor({ onPrint, onChanged, mayCorrect }) {
    this.dialog = $('pending-dialog');
    this.begin = latest();
    this.onChanged = onChanged;
    this.mayCorrect = mayCorrect;
    $('pending-close').addEventListener('click', () => this.dialog.close());
    $('pending-scope').addEventListener('change', () => this.render().catch((e) => this.fail(e)));
    $('pending-print').addEventListener('click', () => {
      const { scope, title } = this.scope();
      this.dialog.close();
      onPrint(scope, title);
    });
    $('pending-export').addEventListener('click', () => this.exportXlsx().catch((e) => this.fail(e)));
  }

  fail(err) {
    $('pending-error').textContent = err.message ?? String(err);
  }

  /** The place chosen: `{ scope, title }`. */
  scope() {
    const option = $('pending-scope').selectedOptions[0];
    const [kind, id] = ($('pending-scope').value || 'town').split(':');
    return kind === 'town'
      ? { scope: { kind: 'town' }, title: this.townTitle }
      : { scope: { kind, id: Number(id) }, title: option.dataset.name };
  }

  /** townTitle: how the whole town is titled; place: open on this village or 社, e.g. 'village:3'. */
  async open(townTitle, place = null) {
    this.townTitle = townTitle;
    $('pending-error').textContent = '';
    const villages = await ipc.pendingVillages();
    const total = villages.reduce((n, v) => n + v.entries, 0);
    $('pending-scope').replaceChildren(
      el('option', { value: 'town' }, `全镇（${total} 项）`),
      ...villages.flatMap((v) => [
        el('option', { value: `village:${v.village_id}`, dataset: { name: v.village } }, `${v.village}（${v.households} 户 ${v.entries} 项）`),
        ...v.groups.map((g) => el('option', { value: `group:${g.group_id}`, dataset: { name: `${v.village} ${g.group}` } },
          `　${v.village} ${g.group}（${g.households} 户 ${g.entries} 项）`)),
      ]));
    if (place && [...$('pending-scope').options].some((o) => o.value === place)) $('pending-scope').value = place;
    if (!this.dialog.open) this.dialog.showModal();
    await this.render();
  }

  async render() {
    const current = this.begin();
    const entries = await ipc.pendingList(this.scope().scope);
    if (!current()) return;
    this.entries = entries;
    this.done = new Set();
    this.count();
    $('pending-print').disabled = !entries.length;
    $('pending-export').disabled = !entries.length;
    $('pending-rows').replaceChildren(...entries.map((p) => this.row(p)));
  }

  /** The count of what is still open in the shown list. */
  count() {
    const open = this.entries.filter((p) => !this.done.has(p.id));
    const households = new Set(open.map((p) => p.household_id)).size;
    $('pending-count').textContent = open.length
      ? `${households} 户 ${open.length} 项待核实${this.done.size ? `（已处理 ${this.done.size} 项）` : ''}`
      : this.done.size ? `已全部处理（${this.done.size} 项）` : '没有待核实的内容';
  }

  row(p) {
    const fix = el('input', { class: 'fix', placeholder: '正确内容', 'aria-label': `${p.head_name}的${p.field_label}更正为` });
    const tr = el('tr', { dataset: { id: p.id } },
      el('td', {}, `${p.village}${p.group}`),
      el('td', {}, p.head_name),
      el('td', {}, p.toilet_seq ?? '—'),
      el('td', {}, p.field_label),
      el('td', { class: 'written' }, p.written || '（空）'),
      el('td', { class: 'msg' }, p.reason),
      el('td', {}, this.mayCorrect() ? fix : ''),
      el('td', { class: 'actions' }, this.mayCorrect() ? [
        el('button', { type: 'button', class: 'tool small correct', onclick: () => this.correct(p, fix, tr) }, '更正'),
        el('button', { type: 'button', class: 'link leave-empty', onclick: () => this.leaveEmpty(p, tr) }, '核实后留空'),
      ] : ''));
    fix.addEventListener('keydown', (e) => { if (e.key === 'Enter') this.correct(p, fix, tr); });
    return tr;
  }

  async settled(p, tr, message) {
    this.done.add(p.id);
    this.count();
    tr.classList.add('done');
    tr.querySelectorAll('input, button').forEach((x) => { x.disabled = true; });
    toast(message, 'info');
    await this.onChanged();
  }

  async correct(p, fix, tr) {
    if (this.done.has(p.id)) return;
    $('pending-error').textContent = '';
    try {
      await ipc.correctPending(p.id, fix.value);
      await this.settled(p, tr, `已更正${p.head_name}的${p.field_label}：${fix.value.trim()}`);
    } catch (err) {
      this.fail(err);
      fix.focus();
    }
  }

  async leaveEmpty(p, tr) {
    $('pending-error').textContent = '';
    const note = window.prompt(`${p.head_name}的${p.field_label}核实后确实无法填写？请写明核实情况（例如“户主无身份证”“年份不详”）：`, '');
    if (note === null) return;
    try {
      await ipc.leavePendingEmpty(p.id, note);
      await this.settled(p, tr, `已确认${p.head_name}的${p.field_label}核实后留空。`);
    } catch (err) {
      this.fail(err);
    }
  }

  async exportXlsx() {
    const { scope, title } = this.scope();
    const out = await ipc.pickSavePath('导出待核实清单', `待核实清单-${title}.xlsx`);
    if (!out) return;
    const n = await ipc.exportPendingXlsx(scope, title, false, out);
    toast(`已导出 ${n} 项待核实内容到 ${out}`, 'info');
  }
}
