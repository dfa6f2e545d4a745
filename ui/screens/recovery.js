// The database could not be opened: the reason, and for a damaged file 恢复最近的完好备份
// (the damaged file is kept beside it; the program is then closed and opened again).

import { $ } from '../dom.js';
import * as ipc from '../ipc.js';

export class RecoveryScreen {
  constructor() {
    $('recover-go').addEventListener('click', () => this.recover());
  }

  /** error: the app info's open_error ({ code, message }). */
  show(error) {
    $('fatal').hidden = false;
    $('fatal-message').textContent = error.message;
    $('fatal-recover').hidden = error.code !== 'damaged';
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
