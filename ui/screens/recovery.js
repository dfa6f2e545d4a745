// The database could not be opened: the reason, and for a damaged file 恢复最近的完好备份
// (the damaged file is kept beside it; the program is then closed and opened again).

import { $ } from '../dom.js';
import * as ipc from '../ipc.js';

export class RecoveryScreen {
  constructor() {
    $('recover-go').addEventListener('click', () => this.recover());
  }

  /**
   * error: the app info's open_error ({ code, message }); onServer: the PC works on a server
   * database (then 重试连接 and 修改连接… are offered instead of a backup).
   */
  show(error, onServer = false) {
    $('fatal').hidden = false;
    $('fatal').querySelector('h2').textContent = onServer ? '连不上服务器数据库' : '数据库无法打开';
    $('fatal-message').textContent = error.message;
    $('fatal-recover').hidden = onServer || error.code !== 'damaged';
    $('fatal-server').hidden = !onServer;
    $('fatal-hint').textContent = onServer
      ? '这台电脑上没有改动任何数据。服务器恢复后点“重试连接”；地址或密码变了，点“修改连接…”。'
      : '数据文件没有被改动。处理好上面的问题后，请关闭并重新打开本程序。';
  }

  async recover() {
    $('recover-go').disabled = true;
    try {
      const r = await ipc.recoverDatabase();
      $('recover-result').textContent = `已用备份 ${r.from} 恢复；损坏的文件另存为 ${r.damaged_kept_at}。请关闭并重新打开本程序。`;
    } catch (err) {
      $('recover-result').textContent = err.message;
      $('recover-go').disabled = false;
    }
  }
}
