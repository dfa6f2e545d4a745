// 连接服务器: which database this PC works on — the local file (the default) or the office's
// server database (#18). The dialog tests a connection before it is used; the password goes to
// the system's credential store, never to a file.

import { $, toast } from '../dom.js';
import * as ipc from '../ipc.js';

export class ServerDialog {
  /** onSwitched(message): the app now works on another database (everyone logs in again). */
  constructor({ onSwitched }) {
    this.onSwitched = onSwitched;
    this.dialog = $('server-dialog');
    $('server-cancel').addEventListener('click', () => this.dialog.close());
    $('server-test').addEventListener('click', () => this.test());
    $('server-local').addEventListener('click', () => this.leave());
    $('server-ssl').addEventListener('change', () => this.showRootCert());
    $('server-form').addEventListener('submit', (e) => {
      e.preventDefault();
      this.use();
    });
  }

  async open() {
    const status = await ipc.serverStatus();
    const s = status.settings;
    $('server-host').value = s?.host ?? '';
    $('server-port').value = String(s?.port ?? 5432);
    $('server-database').value = s?.database ?? '';
    $('server-user').value = s?.user ?? '';
    $('server-password').value = '';
    $('server-password').placeholder = s ? '（已保存，不改可不填）' : '';
    $('server-ssl').value = s?.ssl_mode ?? 'disable';
    $('server-root-cert').value = s?.root_cert ?? '';
    this.showRootCert();
    $('server-local').hidden = !s;
    $('server-result').textContent = status.engine === 'server' ? `现在连接的是服务器：${status.name}` : `现在使用的是本机文件：${status.name}`;
    $('server-error').textContent = '';
    this.dialog.showModal();
    (s ? $('server-password') : $('server-host')).focus();
  }

  settings() {
    return {
      host: $('server-host').value.trim(),
      port: Number($('server-port').value),
      database: $('server-database').value.trim(),
      user: $('server-user').value.trim(),
      ssl_mode: $('server-ssl').value,
      root_cert: $('server-root-cert').value.trim() || null,
    };
  }

  /** The root certificate matters only when the certificate is checked. */
  showRootCert() {
    $('server-root-cert-row').hidden = $('server-ssl').value !== 'verify-full';
  }

  async busy(button, work) {
    $('server-error').textContent = '';
    for (const b of this.dialog.querySelectorAll('button')) b.disabled = true;
    const label = $(button).textContent;
    $(button).textContent = '正在连接…';
    try {
      await work();
    } catch (err) {
      $('server-error').textContent = err.message;
    } finally {
      $(button).textContent = label;
      for (const b of this.dialog.querySelectorAll('button')) b.disabled = false;
    }
  }

  test() {
    return this.busy('server-test', async () => {
      $('server-result').textContent = '';
      const r = await ipc.serverTest(this.settings(), $('server-password').value);
      $('server-result').textContent = r.message;
    });
  }

  use() {
    return this.busy('server-use', async () => {
      const r = await ipc.serverUse(this.settings(), $('server-password').value);
      this.dialog.close();
      toast(r.message, 'info');
      await this.onSwitched(r.message);
    });
  }

  leave() {
    return this.busy('server-local', async () => {
      const r = await ipc.serverLeave();
      this.dialog.close();
      toast(r.message, 'info');
      await this.onSwitched(r.message);
    });
  }
}
