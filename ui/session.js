// The session in the window: the login screen until someone logs in (and a forced password
// change), what the logged-in role may see, back to the login screen when the session ended
// (idle, locked, logged out elsewhere, a restore), and 无操作自动退出.

import { $ } from './dom.js';
import * as ipc from './ipc.js';
import { linkOperator } from './people.js';
import { LoginScreen, initPasswordDialog, roleLabel } from './screens/auth.js';

export class Session {
  /**
   * loginTown(): the town named on the login screen; beforeRelogin(): resets the workbench
   * before the login screen shows again; afterRelogin(): shows it again once logged in.
   */
  constructor({ loginTown, beforeRelogin, afterRelogin, onError }) {
    Object.assign(this, { loginTown, beforeRelogin, afterRelogin, onError });
    /** The commands the logged-in role may use. */
    this.allowed = new Set();
    this.idleMinutes = 30;
    this.lastInput = Date.now();
    this.loginInProgress = false;
    this.relogging = false;
    this.loginScreen = new LoginScreen();
    this.passwordDialog = initPasswordDialog({ onLogout: (message) => this.relogin(message).catch(onError) });

    document.addEventListener('huce:session', (e) => {
      const { code, message } = e.detail;
      if (!this.relogging && $('login-screen').hidden) {
        this.relogin(code === 'session_expired' ? message : '').catch(onError);
      }
    });
    $('logout').addEventListener('click', async () => {
      try {
        await ipc.logout();
        await this.relogin();
      } catch (err) {
        onError(err);
      }
    });

    // 无操作自动退出: after the idle time without a key, click or scroll, the window logs out
    // (the backend ends such a session on its next call anyway). While someone works, a call
    // now and then keeps the backend's session alive even when the work needs no call (a long
    // form).
    for (const kind of ['keydown', 'pointerdown', 'wheel']) {
      document.addEventListener(kind, () => { this.lastInput = Date.now(); }, { capture: true, passive: true });
    }
    setInterval(() => this.checkIdle(), 30000);
  }

  /** Hides what the logged-in role may not do (the command gate refuses it anyway). */
  applyRole(status) {
    this.allowed = new Set(status.allowed);
    for (const node of document.querySelectorAll('[data-needs]')) node.hidden = !this.allowed.has(node.dataset.needs);
    // The 管理 menu shows when the role may open anything in it.
    $('admin-menu-wrap').hidden = ![...document.querySelectorAll('#admin-menu-items [data-needs]')].some((n) => !n.hidden);
    const a = status.account;
    // The role in its own span: a narrow window shows the name only (the title has both).
    $('account-name').replaceChildren(...(a ? [a.display_name, Object.assign(document.createElement('span'), { className: 'account-role', textContent: `（${roleLabel(a.role)}）` })] : []));
    $('account-name').title = a ? `${a.display_name}（${roleLabel(a.role)}）：点击修改密码` : '';
    $('logout').hidden = !a;
    linkOperator(a?.staff_id ?? null);
    document.body.dataset.role = a ? a.role : '';
    document.body.dataset.allowed = status.allowed.join(' ');
  }

  /**
   * Until someone logs in, only the login screen shows (with `message` when the last session
   * ended by itself). A password an administrator set is changed before anything else.
   */
  async ensureLogin(message = '') {
    this.loginInProgress = true;
    try {
      return await this.loginLoop(message);
    } finally {
      this.loginInProgress = false;
    }
  }

  async loginLoop(message) {
    let status = await ipc.authStatus();
    while (!status.account || status.account.must_change_password) {
      $('workbench').hidden = true;
      if (!status.account) {
        await this.loginScreen.show(status.has_accounts, this.loginTown(), message);
        message = '';
      } else {
        this.applyRole(status); // the header names who must change the password
        if (!(await this.passwordDialog.forced())) message = '请重新登录。';
      }
      status = await ipc.authStatus();
    }
    this.applyRole(status);
    this.idleMinutes = status.idle_minutes;
    this.lastInput = Date.now();
    return status.account;
  }

  /** The session ended (idle, locked, logged out elsewhere): back to the login screen. */
  async relogin(message = '') {
    if (this.relogging) return;
    const closeDialogs = () => { for (const d of document.querySelectorAll('dialog[open]')) d.close(); };
    // A login (or a forced password change) is under way: closing its dialog sends it back to
    // the login screen.
    if (this.loginInProgress) {
      closeDialogs();
      return;
    }
    this.relogging = true;
    try {
      closeDialogs();
      this.beforeRelogin();
      await this.ensureLogin(message);
      await this.afterRelogin();
    } finally {
      this.relogging = false;
    }
  }

  async checkIdle() {
    if (this.relogging || !$('login-screen').hidden || !document.body.dataset.role) return;
    const idle = Date.now() - this.lastInput;
    try {
      if (idle > this.idleMinutes * 60000) {
        await ipc.logout(true);
        await this.relogin(`超过 ${this.idleMinutes} 分钟没有操作，已自动退出登录，以免别人用这台电脑以您的名义操作。请重新登录。`);
      } else if (idle < 60000) {
        await ipc.authStatus();
      }
    } catch {
      // The session event handler takes care of an ended session.
    }
  }
}

