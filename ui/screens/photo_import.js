// 照片导入: a folder of phone photos named by household, checked first (which household, which
// inspection, taken when, what is skipped or flagged), then attached in one go.

import { $, el, fill, toast } from '../dom.js';
import * as ipc from '../ipc.js';

const FATES = {
  attach: '导入',
  already_there: '已导入过，跳过',
  duplicate: '重复，跳过',
  two_households: '用在两户，请核对',
  unmatched: '对不上农户',
  no_inspection: '无法挂接',
};

export class PhotoImportDialog {
  constructor({ onImported }) {
    this.onImported = onImported;
    this.dialog = $('photo-import-dialog');
    $('photo-close').addEventListener('click', () => this.dialog.close());
    $('photo-check').addEventListener('click', () => this.check());
    $('photo-import').addEventListener('click', () => this.run());
    $('photo-pick').addEventListener('click', async () => {
      try {
        const dir = await ipc.pickFolder('选择照片所在的文件夹');
        if (dir) { $('photo-folder').value = dir; await this.check(); }
      } catch (err) { $('photo-error').textContent = err.message; }
    });
  }

  open() {
    $('photo-error').textContent = '';
    $('photo-summary').textContent = '';
    fill($('photo-rows'));
    $('photo-import').disabled = true;
    this.dialog.showModal();
    $('photo-folder').focus();
  }

  show(plan, done = false) {
    const counts = {};
    for (const l of plan.lines) counts[l.fate] = (counts[l.fate] ?? 0) + 1;
    // Photos attached whose EXIF day is not the inspection's: said, and marked like the others.
    const apart = plan.lines.filter((l) => l.fate === 'attach' && l.note).length;
    $('photo-summary').textContent = `${done ? '已导入' : '可以导入'} ${plan.attach} 张`
      + (apart ? `（其中 ${apart} 张拍摄日期与核查日期不符，请核实）` : '') + '；'
      + Object.entries(counts).filter(([f]) => f !== 'attach').map(([f, n]) => `${FATES[f]} ${n} 张`).join('，');
    fill($('photo-rows'), plan.lines.map((l) => el('tr', { class: l.fate === 'attach' && !l.note ? '' : 'rate-warn' },
      el('td', {}, l.file), el('td', {}, l.household || '—'), el('td', {}, l.taken_at ?? '—'),
      el('td', {}, FATES[l.fate]), el('td', {}, l.note))));
  }

  async check() {
    $('photo-error').textContent = '';
    $('photo-import').disabled = true;
    try {
      const plan = await ipc.planPhotoImport($('photo-folder').value.trim());
      this.show(plan);
      $('photo-import').disabled = plan.attach === 0;
    } catch (err) {
      $('photo-error').textContent = err.message;
    }
  }

  async run() {
    try {
      const plan = await ipc.importPhotos($('photo-folder').value.trim());
      this.show(plan, true);
      $('photo-import').disabled = true;
      toast(`已导入 ${plan.attach} 张照片。`, 'info');
      await this.onImported?.();
    } catch (err) {
      $('photo-error').textContent = err.message;
    }
  }
}
