// The office's own lists, edited in place: 工作人员 and 问题口径. Each row saves on its own
// button; the last row adds a new entry. Nothing is deleted: people leave (在岗 off), items retire.

import { $, el, toast } from '../dom.js';
import * as ipc from '../ipc.js';
import { entries } from '../labels.js';
import { reloadStaff } from '../people.js';

const input = (cls, value, attrs = {}) => el('input', { class: cls, value: value ?? '', ...attrs });

export class StaffDialog {
  constructor() {
    this.dialog = $('staff-dialog');
    $('staff-close').addEventListener('click', () => this.dialog.close());
  }

  async open() {
    this.dialog.showModal();
    await this.render();
  }

  async render() {
    $('staff-error').textContent = '';
    const people = await ipc.staffList(true);
    const row = (p) => {
      const tr = el('tr', { dataset: p ? { id: p.id } : { new: '1' }, class: p && !p.active ? 'off' : '' },
        el('td', {}, input('s-name', p?.name, { placeholder: p ? '' : '新增：姓名', maxlength: 20 })),
        el('td', {}, input('s-unit', p?.unit, { placeholder: '例如：石鱼村村民委员会' })),
        el('td', {}, input('s-phone', p?.phone, { maxlength: 20 })),
        el('td', {}, input('s-roles', p?.roles, { placeholder: '例如：包村干部' })),
        el('td', {}, el('input', { type: 'checkbox', class: 's-active', checked: p ? p.active : true })),
        el('td', {}, el('button', { type: 'button', class: 'tool', onclick: () => this.save(tr, p?.id ?? null) }, p ? '保存' : '添加')));
      return tr;
    };
    $('staff-rows').replaceChildren(...people.map(row), row(null));
    $('staff-rows').querySelector('tr[data-new] .s-name').focus();
  }

  async save(tr, id) {
    const v = (cls) => tr.querySelector(`.${cls}`).value;
    try {
      await ipc.saveStaff(id, {
        name: v('s-name'), unit: v('s-unit'), phone: v('s-phone') || null, roles: v('s-roles'),
        active: tr.querySelector('.s-active').checked,
      });
      await reloadStaff();
      await this.render();
      toast(id ? '已保存。' : '已添加到工作人员名单。', 'info');
    } catch (err) {
      $('staff-error').textContent = err.message;
    }
  }
}

export class ItemsDialog {
  constructor() {
    this.dialog = $('items-dialog');
    $('items-close').addEventListener('click', () => this.dialog.close());
  }

  async open() {
    this.dialog.showModal();
    await this.render();
  }

  partSelect(value) {
    return el('select', { class: 'i-part' }, entries('ProblemPart').map(([code, text]) => el('option', { value: code, selected: code === value }, text)));
  }

  severitySelect(stops) {
    return el('select', { class: 'i-stop' },
      el('option', { value: '1', selected: stops === true }, '影响使用'),
      el('option', { value: '0', selected: stops === false }, '不影响使用'));
  }

  async render() {
    $('items-error').textContent = '';
    const items = await ipc.problemItems(true);
    const row = (it) => {
      const tr = el('tr', { dataset: it ? { id: it.id } : { new: '1' }, class: it?.retired ? 'off' : '' },
        el('td', {}, this.partSelect(it?.part ?? 'house')),
        el('td', {}, input('i-name', it?.name, { placeholder: it ? '' : '新增：问题名称', maxlength: 40 })),
        el('td', {}, this.severitySelect(it ? it.stops_use : false)),
        el('td', {}, el('input', { type: 'checkbox', class: 'i-retired', checked: !!it?.retired })),
        el('td', {}, el('button', { type: 'button', class: 'tool', onclick: () => this.save(tr, it?.id ?? null) }, it ? '保存' : '添加')));
      return tr;
    };
    $('items-rows').replaceChildren(...items.map(row), row(null));
  }

  async save(tr, id) {
    try {
      await ipc.saveProblemItem(id, {
        part: tr.querySelector('.i-part').value,
        name: tr.querySelector('.i-name').value,
        stops_use: tr.querySelector('.i-stop').value === '1',
        retired: tr.querySelector('.i-retired').checked,
      });
      await this.render();
      toast(id ? '已保存。' : '已添加到问题口径。', 'info');
    } catch (err) {
      $('items-error').textContent = err.message;
    }
  }
}
