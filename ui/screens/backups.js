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
      toast(`已备份到：${path}（照片在同一文件夹中，已逐张校验）`, 'info');
    }));
  }

  async run(f) {
    $('backup-error').textContent = '';
    $('backup-status').textContent = '正在处理，请稍候…';
    try {
      await f();
      if (this.dialog.open) await this.render();
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

  /**
   * 恢复到这个备份: the backup is read first (town, households, administrators — or why it
   * cannot be restored), the user confirms with those facts; another town's backup needs its
   * town name typed in.
   */
  restore(f) {
    this.run(async () => {
      const b = await ipc.inspectBackup(f.path);
      const what = `${b.district_name}${b.town_name}，${b.households} 户，管理员 ${b.administrators} 人${b.last_change ? `，最后一次改动 ${b.last_change.replace('T', ' ').slice(0, 16)}` : ''}`;
      const ok = window.confirm(`把数据库恢复到 ${f.taken_at} 的备份（${f.reason_label}）？\n备份内容：${what}。\n\n之后录入的内容会从当前数据库中消失；恢复前会先把现在的数据库另存为一个“恢复前”备份，需要时可以再恢复回来。恢复后请重新登录。`);
      if (!ok) return;
      let confirmTown = null;
      try {
        const safety = await ipc.restoreBackup(f.path);
        this.restored(safety);
      } catch (err) {
        if (!err.message.includes('请在确认框中输入备份的镇名')) throw err;
        confirmTown = window.prompt(`${err.message}\n\n请输入备份的镇名：`, '');
        if (!confirmTown) return;
        const safety = await ipc.restoreBackup(f.path, confirmTown);
        this.restored(safety);
      }
    });
  }

  restored(safety) {
    this.dialog.close();
    this.onRestored(`已恢复。恢复前的数据已另存为：${safety}。恢复后的数据库有它自己的账户，请重新登录。`);
  }
}
