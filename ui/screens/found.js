// 查缺补漏 at the door: 新增农户 (a household on neither list, with its toilet or none) and
// 新增户厕 (a listed household's missed toilet), recorded as 入户核查新增 by the core.

import { $, el, fill, toast } from '../dom.js';
import * as ipc from '../ipc.js';
import { entries } from '../labels.js';

const num = (id) => {
  const v = $(id).value.trim();
  return v ? Number(v) : null;
};
const text = (id) => $(id).value.trim() || null;

export class FoundDialog {
  /** onAdded(householdId) after a save. */
  constructor({ onAdded }) {
    this.onAdded = onAdded;
    this.dialog = $('found-dialog');
    $('found-cancel').addEventListener('click', () => this.dialog.close());
    $('found-save').addEventListener('click', () => this.save());
    $('found-has-toilet').addEventListener('change', () => this.showToilet());
  }

  /** A new household in one of `groups` ([{id, label}]), `groupId` chosen first. */
  openHousehold(groups, groupId) {
    this.householdId = null;
    $('found-title').textContent = '新增农户（入户核查发现、名单上没有的农户）';
    $('found-household').hidden = false;
    fill($('found-group'), groups.map((g) => el('option', { value: g.id, selected: g.id === groupId }, g.label)));
    for (const id of ['found-name', 'found-id', 'found-phone', 'found-address', 'found-pop']) $(id).value = '';
    $('found-has-toilet').checked = true;
    this.resetToilet();
    this.show();
    $('found-name').focus();
  }

  /** A toilet the lists missed, for household `h` (a HouseholdDetail). */
  openToilet(h) {
    this.householdId = h.id;
    $('found-title').textContent = `新增户厕：${h.village_name}${h.group_name} ${h.head_name}（台账漏登的户厕）`;
    $('found-household').hidden = true;
    $('found-has-toilet').checked = true;
    this.resetToilet();
    this.show();
    $('found-tech').focus();
  }

  resetToilet() {
    fill($('found-tech'), el('option', { value: '' }, '（请选择）'), entries('TechMode').filter(([c]) => c !== 'no_toilet').map(([c, t]) => el('option', { value: c }, t)));
    fill($('found-use'), el('option', { value: '' }, '（请选择）'), entries('UseStatus').map(([c, t]) => el('option', { value: c }, t)));
    for (const id of ['found-year', 'found-subsidy-year']) $(id).value = '';
    $('found-subsidized').value = '';
  }

  show() {
    $('found-error').textContent = '';
    this.showToilet();
    this.dialog.showModal();
  }

  showToilet() {
    $('found-toilet').hidden = !$('found-has-toilet').checked;
    $('found-has-toilet-row').hidden = this.householdId !== null;
  }

  toilet() {
    const sub = $('found-subsidized').value;
    return {
      tech_mode: text('found-tech'),
      location: null,
      build_year: num('found-year'),
      subsidized: sub === '' ? null : sub === '1',
      subsidy_year: num('found-subsidy-year'),
      use_status: text('found-use'),
    };
  }

  async save() {
    $('found-error').textContent = '';
    try {
      let id = this.householdId;
      if (id === null) {
        id = await ipc.addFoundHousehold({
          group_id: Number($('found-group').value),
          head_name: $('found-name').value,
          id_number: text('found-id'),
          phone: text('found-phone'),
          address: text('found-address'),
          resident_pop: num('found-pop'),
          toilet: $('found-has-toilet').checked ? this.toilet() : null,
        });
        toast(`已新增农户“${$('found-name').value.trim()}”（入户核查新增）。`, 'info');
      } else {
        await ipc.addFoundToilet(id, this.toilet());
        toast('已新增户厕（入户核查新增）。', 'info');
      }
      this.dialog.close();
      await this.onAdded?.(id);
    } catch (err) {
      $('found-error').textContent = err.message;
    }
  }
}
