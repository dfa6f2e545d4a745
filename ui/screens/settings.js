// 本镇设置: the district and town names (printed on every document) and the minutes without
// input after which the window logs out.

import { $, toast } from '../dom.js';
import * as ipc from '../ipc.js';
import { UNSET_TOWN } from '../labels.js';

export class SettingsDialog {
  /** onSaved(town, idleMinutes): the saved names and idle time, for the header and the tree. */
  constructor({ onSaved }) {
    this.onSaved = onSaved;
    this.dialog = $('settings-dialog');
    $('settings-cancel').addEventListener('click', () => this.dialog.close());
    $('settings-form').addEventListener('submit', (e) => {
      e.preventDefault();
      this.save();
    });
  }

  /** town: the app info's town (or null); idleMinutes: the current idle logout time. */
  async open(town, idleMinutes) {
    this.idleMinutes = idleMinutes;
    this.working = await ipc.workingValues();
    $('set-immediate-days').value = String(this.working.immediate_overdue_days);
    $('set-retrain').value = String(this.working.retrain_above);
    $('set-second-check').value = String(this.working.second_check_from);
    $('set-resurvey').value = String(this.working.resurvey_above);
    $('set-horizon').value = this.working.plan_horizon;
    $('set-district').value = town?.district_name ?? '';
    $('set-town').value = town && town.town_name !== UNSET_TOWN ? town.town_name : '';
    $('set-idle').value = String(idleMinutes);
    $('settings-error').textContent = '';
    this.dialog.showModal();
    $('set-district').focus();
  }

  async save() {
    try {
      const town = await ipc.saveTownNames($('set-district').value, $('set-town').value);
      const idle = Number($('set-idle').value);
      if (idle !== this.idleMinutes) {
        await ipc.saveIdleMinutes(idle);
        this.idleMinutes = idle;
      }
      const working = {
        immediate_overdue_days: Number($('set-immediate-days').value),
        retrain_above: Number($('set-retrain').value),
        second_check_from: Number($('set-second-check').value),
        resurvey_above: Number($('set-resurvey').value),
        plan_horizon: $('set-horizon').value.trim(),
      };
      if (Object.keys(working).some((k) => working[k] !== this.working[k])) {
        await ipc.saveWorkingValues(working);
        this.working = working;
      }
      this.dialog.close();
      await this.onSaved(town, idle);
      toast('已保存区、镇名称。', 'info');
    } catch (err) {
      $('settings-error').textContent = err.message;
    }
  }
}
