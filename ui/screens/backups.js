// 备份与恢复: the backup folder (a backup is taken at the first start of each day and before
// every import, migration and restore), 立即备份, 备份到 a USB stick, and restoring a backup.

import { $, el, fill, toast } from '../dom.js';
import * as ipc from '../ipc.js';

const size = (n) => (n >= 1e6 ? `${(n / 1e6).toFixed(1)} MB` : `${Math.ceil(n / 1e3)} KB`);

export class BackupDialog {
  constructor({ canRestore, onRestored }) {
    this.canRestore = canRestore;
    this.onRestored = onRestored;
    this.dialog = $('backup-dialog');
    $('backup-close').addEventListener('click', () => this.dialog.close());
    $('backup-now').addEventListener('click', () => this.run(async () => {
      const path = await ipc.backupNow();
      toast(`已备份：${path}`, 'info');
    }));
    $('backup-to').addEventListener('click', () => this.run(async () => {
      const dir = await ipc.pickFolder('选择备份到的文件夹（例如 U 盘）');
      if (!dir) return;
      const path = await ipc.backupTo(dir);
      toast(`已备份到：${path}（照片在同一文件夹的 huce-photos 中）`, 'info');
    }));
  }

  async run(f) {
    $('backup-error').textContent = '';
    $('backup-status').textContent = '正在处理，请稍候…';
    try {
      await f();
      await this.render();
    } catch (err) {
      $('backup-error').textContent = err.message;
    } finally {
      $('backup-status').textContent = '';
    }
  }

  async open() {
    $('backup-error').textContent = '';
    this.dialog.showModal();
    await this.render();
  }

  async render() {
    const b = await ipc.backupList();
    $('backup-folder').textContent = b.folder;
    fill($('backup-rows'), b.files.length ? b.files.map((f) => el('tr', {},
      el('td', {}, f.taken_at), el('td', {}, f.reason_label), el('td', { class: 'num' }, size(f.bytes)),
      el('td', {}, this.canRestore() ? el('button', { type: 'button', class: 'tool', onclick: () => this.restore(f) }, '恢复到这个备份') : null)))
      : el('tr', {}, el('td', { colspan: 4, class: 'placeholder' }, '还没有备份。')));
  }

  restore(f) {
    const ok = window.confirm(`把数据库恢复到 ${f.taken_at} 的备份（${f.reason_label}）？\n\n之后录入的内容会从当前数据库中消失；恢复前会先把现在的数据库另存为一个“恢复前”备份，需要时可以再恢复回来。`);
    if (!ok) return;
    this.run(async () => {
      const safety = await ipc.restoreBackup(f.path);
      toast(`已恢复。恢复前的数据已另存为：${safety}`, 'info');
      await this.onRestored();
    });
  }
}
