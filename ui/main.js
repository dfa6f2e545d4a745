// Starts the workbench and wires the screens: header, place tree, the four views (households,
// ledger, progress, checks), the dialogs, and the session (login, logout, idle logout).

import { $, toast } from './dom.js';
import * as ipc from './ipc.js';
import { UNSET_TOWN, setVocabularies } from './labels.js';
import { latest, normalizeDate, onFirstUse } from './util.js';
import { PlaceTree } from './screens/tree.js';
import { HouseholdList } from './screens/list.js';
import { renderDetail } from './screens/detail.js';
import { ProblemLedger, defaultFilter } from './screens/ledger.js';
import { initOperator, reloadStaff, setDatabase } from './people.js';
import { Session } from './session.js';
import { DemoLoader } from './screens/demo.js';

const showError = (err) => toast(err.message || String(err));

let info;
let currentTree = null;
let view = 'households';
/** Set when the inspection form should open on the next household shown (continuous entry). */
let continueEntry = false;
const opened = () => info && !info.open_error;
/** The town's name for titles, or 全镇 when it has not been set yet. */
const townLabel = () => (info.town && info.town.town_name !== UNSET_TOWN ? info.town.town_name : '全镇');
const selectedPlace = () => tree.describe(tree.selected);

const tree = new PlaceTree($('tree'), ({ title }) => {
  $('scope-title').textContent = title;
  if (list.extra?.sample || list.extra?.households) leaveSample(false);
  if (view !== 'progress') loadView(); // progress is the whole town's
});

/** Loads the shown view for the place selected in the tree (each view drops stale answers). */
function loadView() {
  const { scope, title } = selectedPlace();
  if (view === 'ledger') return ledger.load(scope, title);
  if (view === 'checks') return checks.load(scope, title).catch(showError);
  if (view === 'progress') return dashboard.load().catch(showError);
  showWorklistCounts(scope);
  return list.load(scope, $('search').value);
}

// The details pane: household `id` with its inspections and problem cases.
const beginDetail = latest();
const showDetail = (d, file, pending = []) => renderDetail($('detail'), d, file, (index) => inspection.open(d, index).catch(showError), () => printHousehold(d),
  pending, () => pendingDialog.open(townLabel(), `group:${d.group_id}`).catch(showError), () => foundDialog.openToilet(d).catch(showError));
async function showHousehold(id) {
  const current = beginDetail();
  try {
    const [d, file, pending] = await Promise.all([ipc.householdDetail(id), ipc.fieldFile(id), ipc.householdPending(id)]);
    if (!current()) return;
    showDetail(d, file, pending);
    if (continueEntry) {
      continueEntry = false;
      await inspection.open(d, 0);
    }
  } catch (err) {
    continueEntry = false;
    showError(err);
  }
}

const list = new HouseholdList({
  body: $('list-body'),
  spacer: $('list-spacer'),
  countEl: $('list-count'),
  onError: showError,
  onSelect: (id) => showHousehold(id),
  onOpen: (id) => {
    // While the list shows a sample, its households open as the sample's form.
    const pos = sampleQueue && list.extra?.sample ? sampleQueue.items.findIndex((it) => it.household_id === id) : -1;
    if (pos >= 0) return inspection.openQueue(sampleQueue, pos).catch(showError);
    return ipc.householdDetail(id).then((d) => inspection.open(d, 0)).catch(showError);
  },
});
list.bindSearch($('search'));

const inspection = onFirstUse(() => import('./screens/inspection.js').then((m) => new m.InspectionForm({
  onSaved: async (saved, household) => {
    const current = beginDetail();
    // The worklists' counts and the list's 核查 column follow each save; a household worked
    // off the chosen worklist leaves it.
    if (view === 'households') {
      showWorklistCounts(selectedPlace().scope);
      await list.refresh();
    }
    const file = await ipc.fieldFile(household.id);
    if (current()) showDetail(household, file);
  },
  onNextHousehold: async () => {
    const next = list.selectionLeft ? list.selectedIndex : list.selectedIndex + 1;
    if (list.selectedIndex < 0 || next >= list.total) {
      toast('这已是列表中的最后一户。', 'info');
      return;
    }
    continueEntry = true;
    await list.select(next);
  },
  onQueueMove: (h) => {
    const current = beginDetail();
    Promise.all([ipc.fieldFile(h.id), ipc.householdPending(h.id)])
      .then(([file, pending]) => { if (current()) showDetail(h, file, pending); })
      .catch(showError);
  },
})));

const ledger = new ProblemLedger({
  onOpenHousehold: (id) => openHousehold(id),
  onSelectVillage: (villageId) => tree.select(`village:${villageId}`, true),
  // The notice or 验收单 of the case in the side panel.
  onPrintCase: (kinds, caseId, title) => printDialog.open(kinds, ledger.filter(), title, null, [caseId]).catch(showError),
});

const dashboard = onFirstUse(() => import('./screens/progress.js').then((m) => new m.Dashboard({
  onOpenVillage: (villageId) => {
    setView('ledger');
    tree.select(`village:${villageId}`, true);
  },
  // 下一步: the worklist it names, for the village (or the town).
  onNextAction: (villageId, worklist) => {
    const node = villageId ? `village:${villageId}` : 'town';
    if (worklist === 'unchecked') {
      $('list-check').value = 'check:unchecked';
      $('list-print').hidden = false;
      list.setFilter({ ...list.extra, sample: null, households: null, check: 'unchecked', case: null });
      $('list-sample').hidden = true;
      setView('households');
    } else {
      ledger.showWorklist(worklist);
      setView('ledger');
    }
    tree.select(node, true);
  },
  onPrintBulletin: (month) => printDialog.open(['bulletin'], defaultFilter(), townLabel(), null, null, { month }).catch(showError),
})));

// 区级抽查 entry from a sample: the list shows the sample's households, the form goes through the
// sampled toilets in the sample's order.
let sampleQueue = null;
function enterSample(queue, pos) {
  sampleQueue = queue;
  setView('households');
  list.setFilter({ ...list.extra, sample: queue.sample_id });
  $('list-sample-text').textContent = `正在录入${queue.title}（${queue.kind_label}）：列表只显示样本中的农户。`;
  $('list-sample').hidden = false;
  list.load({ kind: 'town' }, '').catch(showError);
  inspection.openQueue(queue, pos).catch(showError);
}
// 多方比对's 重新调查该批: the list shows the batch's households.
function listBatch(households, title) {
  setView('households');
  list.setFilter({ ...list.extra, sample: null, households });
  $('list-sample-text').textContent = title;
  $('list-sample').hidden = false;
  list.load({ kind: 'town' }, '').catch(showError);
}
function leaveSample(reload = true) {
  sampleQueue = null;
  list.setFilter({ ...list.extra, sample: null, households: null });
  $('list-sample').hidden = true;
  if (reload) loadView();
}
$('list-sample-leave').addEventListener('click', () => leaveSample());
/** The worklist chosen in the list's filter: {check} or {case}. */
function worklistFilter(value) {
  const [kind, code] = (value || '').split(':');
  return { check: kind === 'check' ? code : null, case: kind === 'case' ? code : null };
}
$('list-check').addEventListener('change', (e) => {
  list.setFilter({ ...list.extra, ...worklistFilter(e.target.value) });
  $('list-print').hidden = !e.target.value;
  if (view === 'households') loadView();
});
// The worklist shown, printed or exported.
$('list-print').addEventListener('click', () => {
  const { scope, title } = selectedPlace();
  const { check, case: caseList } = worklistFilter($('list-check').value);
  printDialog.open(['worklist'], defaultFilter(scope), title, null, null, { list: { check, case: caseList } }).catch(showError);
});
/** Each worklist's count for the place shown, beside its name. */
const beginCounts = latest();
async function showWorklistCounts(scope) {
  const current = beginCounts();
  try {
    const counts = new Map(await ipc.worklistCounts(scope));
    if (!current()) return;
    for (const o of $('list-check').options) {
      const code = o.value.split(':')[1];
      o.textContent = o.textContent.replace(/（\d+）$/, '') + (counts.has(code) ? `（${counts.get(code)}）` : '');
    }
  } catch { /* the counts are a help; the list works without them */ }
}

const checks = onFirstUse(() => import('./screens/checks.js').then((m) => new m.Checks({
  onOpenHousehold: (id) => openHousehold(id).catch(showError),
  onEnterSample: (queue, pos) => enterSample(queue, pos),
  onListBatch: (households, title) => listBatch(households, title),
  villages: () => currentTree?.villages ?? [],
  onPrint: (kind, sampleId) => printDialog.open([kind], defaultFilter(), `第${sampleId}号抽查样本`, null, null, { sample_id: sampleId }).catch(showError),
})));

const VIEWS = ['households', 'ledger', 'progress', 'checks'];
/** The view last asked for (a lazily built one is shown once its screen is built). */
let wanted = null;

function setView(next) {
  view = next;
  wanted = next;
  const isLedger = next === 'ledger';
  $('ledger-pane').hidden = !isLedger;
  $('case-pane').hidden = !isLedger;
  $('progress-pane').hidden = next !== 'progress';
  $('checks-pane').hidden = next !== 'checks';
  $('workbench').classList.toggle('ledger-mode', isLedger);
  $('workbench').classList.toggle('wide-mode', next === 'progress' || next === 'checks');
  document.querySelector('.list-pane').hidden = next !== 'households';
  document.querySelector('.detail-pane').hidden = next !== 'households';
  for (const v of VIEWS) {
    $(`view-${v}`).classList.toggle('active', v === next);
    $(`view-${v}`).setAttribute('aria-pressed', String(v === next));
  }
}

for (const v of VIEWS) {
  $(`view-${v}`).addEventListener('click', async () => {
    if (view === v || (v !== 'households' && !opened())) return;
    wanted = v;
    // The progress and checks screens load on first use: their pane is shown when they are
    // built, or a click on one of its buttons in between would be lost.
    const lazy = { progress: dashboard, checks }[v];
    if (lazy) {
      try {
        await lazy.ready();
      } catch (err) {
        showError(err);
        return;
      }
      if (wanted !== v || view === v) return;
    }
    setView(v);
    // Back to the households: the list keeps its selection unless the place changed meanwhile.
    if (v === 'households' && JSON.stringify(selectedPlace().scope) === JSON.stringify(list.scope)) return;
    loadView();
  });
}

async function openHousehold(id) {
  setView('households');
  await showHousehold(id);
}

const printDialog = onFirstUse(() => import('./screens/print.js').then((m) => new m.PrintDialog()));

const photoImport = onFirstUse(() => import('./screens/photo_import.js').then((m) => new m.PhotoImportDialog({
  onImported: async () => { if (list.selectedId) await showHousehold(list.selectedId); },
})));
$('open-photo-import').addEventListener('click', () => photoImport.open().catch(showError));

// 查缺补漏: households and toilets found at the door.
const foundDialog = onFirstUse(() => import('./screens/found.js').then((m) => new m.FoundDialog({
  onAdded: async (householdId) => {
    await reload();
    await showHousehold(householdId);
  },
})));
$('open-found').addEventListener('click', () => {
  const groups = (currentTree?.villages ?? []).flatMap((v) => v.groups.map((g) => ({ id: g.id, label: `${v.name}${g.name}` })));
  if (!groups.length) { toast('还没有行政村和社，请先导入台账。'); return; }
  const key = tree.selected ?? '';
  const chosen = key.startsWith('group:') ? Number(key.slice(6)) : groups[0].id;
  foundDialog.openHousehold(groups, chosen).catch(showError);
});
function printHousehold(d) {
  printDialog.open(['household_file'], defaultFilter(), `${d.village_name}${d.group_name}${d.head_name}`, d.id).catch(showError);
}
$('open-print').addEventListener('click', () => {
  const { scope, title } = selectedPlace();
  printDialog.open(['toilet_ledger', 'survey_sheets', 'signoff', 'notices', 'problem_ledger'], defaultFilter(scope), title).catch(showError);
});
$('ledger-print').addEventListener('click', () => {
  const picked = [...ledger.picked];
  printDialog.open(['notices', 'acceptance_sheets', 'onsite_slips', 'problem_ledger'], ledger.filter(), selectedPlace().title, null, picked.length ? picked : null).catch(showError);
});

initOperator();
const staffDialog = onFirstUse(() => import('./screens/lists.js').then((m) => new m.StaffDialog()));
const itemsDialog = onFirstUse(() => import('./screens/lists.js').then((m) => new m.ItemsDialog()));
// Dates are 年-月-日 everywhere: what is typed as 2026/11/29 or 20261129 becomes 2026-11-29 before
// any screen reads it (capture: this runs before the field's own handlers).
document.addEventListener('change', (e) => {
  const t = e.target;
  if (!(t instanceof HTMLInputElement) || !t.classList.contains('date')) return;
  const n = normalizeDate(t.value);
  if (n !== t.value) {
    t.value = n;
    t.dispatchEvent(new Event('input', { bubbles: true }));
  }
}, true);

const manualDialog = onFirstUse(() => import('./screens/manual.js').then((m) => new m.ManualDialog()));
$('open-manual').addEventListener('click', () => manualDialog.open().catch(showError));

// 管理 ▾: the administrative dialogs in one menu, so the header never needs a wide window.
const adminMenu = {
  open() {
    $('admin-menu-items').hidden = false;
    $('admin-menu').setAttribute('aria-expanded', 'true');
    $('admin-menu-items').querySelector('button:not([hidden])')?.focus();
  },
  close() {
    $('admin-menu-items').hidden = true;
    $('admin-menu').setAttribute('aria-expanded', 'false');
  },
};
$('admin-menu').addEventListener('click', (e) => {
  e.stopPropagation();
  if ($('admin-menu-items').hidden) adminMenu.open(); else adminMenu.close();
});
$('admin-menu-items').addEventListener('click', () => adminMenu.close());
$('admin-menu-items').addEventListener('keydown', (e) => {
  const items = [...$('admin-menu-items').querySelectorAll('button:not([hidden])')];
  const at = items.indexOf(document.activeElement);
  if (e.key === 'Escape') { adminMenu.close(); $('admin-menu').focus(); }
  if (e.key === 'ArrowDown') { e.preventDefault(); items[(at + 1) % items.length]?.focus(); }
  if (e.key === 'ArrowUp') { e.preventDefault(); items[(at - 1 + items.length) % items.length]?.focus(); }
});
document.addEventListener('click', (e) => { if (!$('admin-menu-wrap').contains(e.target)) adminMenu.close(); });

$('open-staff').addEventListener('click', () => { if (opened()) staffDialog.open().catch(showError); });
$('open-items').addEventListener('click', () => { if (opened()) itemsDialog.open().catch(showError); });

function showHeader() {
  const town = info.town;
  $('town-name').textContent = town ? `${town.district_name} ${town.town_name}`.trim() : '';
  $('demo-badge').hidden = !(town && town.is_demo);
  showDatabase();
}

/** Which database is open — the local file or the server — in the header and on the login card. */
function showDatabase() {
  const server = info.engine === 'server';
  $('db-path').textContent = server ? `数据库：服务器 ${info.db_path}` : `数据库：${info.db_path}`;
  $('db-path').title = server ? `当前连接的服务器数据库：${info.db_path}（几台电脑共用）` : `当前打开的数据库文件：${info.db_path}（只在这台电脑上）`;
  $('db-path').classList.toggle('on-server', server);
  $('login-database').textContent = server ? `数据库：服务器 ${info.db_path}` : '数据库：本机文件';
}

/**
 * Shows the database as it is now, after a login, an import, a restore or the demo data: the
 * header, the tree (back to the whole town), the staff and the shown view.
 */
async function reload() {
  // "loaded" says the workbench shows this database and login (the end-to-end tests wait for
  // it before they click, as a person waits for the tree to appear).
  document.body.dataset.loaded = 'no';
  info = await ipc.appInfo();
  showHeader();
  $('workbench').hidden = false;
  const empty = info.households === 0;
  $('empty-db').hidden = !empty;
  $('list-body').hidden = empty;
  document.querySelector('.list-head').hidden = empty;
  $('search').disabled = empty;
  currentTree = await ipc.villageTree();
  await reloadStaff();
  for (const id of ['view-ledger', 'view-progress', 'view-checks', 'open-export', 'open-print']) $(id).disabled = empty;
  // Beside the tree, not before it: the tree shows as soon as it is loaded.
  showPendingCount().catch(showError);
  tree.selected = 'town';
  tree.show(currentTree, townLabel());
  if (!empty) {
    $('scope-title').textContent = selectedPlace().title;
    $('search').value = '';
    await loadView();
  }
  document.body.dataset.loaded = 'yes';
}

const session = new Session({
  loginTown: () => (info.town && info.town.town_name !== UNSET_TOWN ? `${info.town.district_name} ${info.town.town_name}` : ''),
  beforeRelogin: () => {
    document.body.dataset.loaded = 'no';
    setView('households');
  },
  afterRelogin: reload,
  onError: showError,
});

// The program was started a second time: this window was brought to the front instead.
document.addEventListener('huce:second-instance', (e) => {
  toast(e.detail?.message ?? '本程序已经打开，就在这个窗口里。', 'info');
});

// Dialogs.
const accountsDialog = onFirstUse(() => import('./screens/auth.js').then((m) => new m.AccountsDialog()));
const auditDialog = onFirstUse(() => import('./screens/auth.js').then((m) => new m.AuditDialog()));
$('open-accounts').addEventListener('click', () => accountsDialog.open().catch(showError));
$('open-audit').addEventListener('click', () => auditDialog.open().catch(showError));

const signoffDialog = onFirstUse(() => import('./screens/signoff.js').then((m) => new m.SignoffDialog({
  onPrint: (scope, title) => printDialog.open(['signoff'], defaultFilter(scope), title).catch(showError),
})));
$('open-signoff').addEventListener('click', () => signoffDialog.open(selectedPlace()).catch(showError));
document.addEventListener('huce:signatures-changed', () => {
  if (list.selectedIndex >= 0) list.select(list.selectedIndex);
});

const backupDialog = onFirstUse(() => import('./screens/backups.js').then((m) => new m.BackupDialog({
  canRestore: () => session.allowed.has('restore'),
  // The restored file has its own accounts: everyone logs in again.
  onRestored: (message) => session.relogin(message).catch(showError),
})));
$('open-backup').addEventListener('click', () => backupDialog.open().catch(showError));

const pendingDialog = onFirstUse(() => import('./screens/pending.js').then((m) => new m.PendingDialog({
  onPrint: (scope, title) => printDialog.open(['pending_list'], defaultFilter(scope), title).catch(showError),
  onChanged: async () => {
    await showPendingCount();
    if (list.selectedIndex >= 0) list.select(list.selectedIndex);
  },
  mayCorrect: () => session.allowed.has('correct_ledger'),
})));
$('open-pending').addEventListener('click', () => {
  const { scope } = selectedPlace();
  pendingDialog.open(townLabel(), scope.kind === 'town' ? null : `${scope.kind}:${scope.id}`).catch(showError);
});

/** The toolbar's 待核实 button: shown with the town's count while anything waits. */
async function showPendingCount() {
  const villages = await ipc.pendingVillages();
  const n = villages.reduce((k, v) => k + v.entries, 0);
  $('open-pending').hidden = n === 0;
  $('open-pending').textContent = `待核实 ${n} 项`;
}

const recovery = onFirstUse(() => import('./screens/recovery.js').then((m) => new m.RecoveryScreen()));
// A switch of databases starts the window afresh: the login and everything shown are the other
// database's.
const serverDialog = onFirstUse(() => import('./screens/server.js').then((m) => new m.ServerDialog({ onSwitched: async () => window.location.reload() })));
$('login-server').addEventListener('click', () => serverDialog.open().catch(showError));
$('open-server').addEventListener('click', () => serverDialog.open().catch(showError));
$('server-change').addEventListener('click', () => serverDialog.open().catch(showError));
$('server-retry').addEventListener('click', async () => {
  $('server-retry').disabled = true;
  $('recover-result').textContent = '正在连接…';
  try {
    await ipc.serverRetry();
    window.location.reload();
  } catch (err) {
    $('recover-result').textContent = err.message;
  } finally {
    $('server-retry').disabled = false;
  }
});
new DemoLoader({ onLoaded: reload });

const settingsDialog = onFirstUse(() => import('./screens/settings.js').then((m) => new m.SettingsDialog({
  onSaved: async (town, idle) => {
    info.town = town;
    session.idleMinutes = idle;
    showHeader();
    currentTree = await ipc.villageTree();
    tree.show(currentTree, townLabel());
    $('scope-title').textContent = selectedPlace().title;
  },
})));
$('open-settings').addEventListener('click', () => { if (opened()) settingsDialog.open(info.town, session.idleMinutes).catch(showError); });

const importDialog = onFirstUse(() => import('./screens/import.js').then((m) => new m.ImportDialog({
  onImported: async () => {
    await reload();
    if (info.town?.town_name === UNSET_TOWN) toast('导入完成。请点右上角“设置”填写区、镇名称，它们会印在文书上。', 'info');
  },
})));
const exportDialog = onFirstUse(() => import('./screens/export.js').then((m) => new m.ExportDialog()));
const openImport = () => {
  const villages = (currentTree?.villages ?? []).map((v) => v.name);
  importDialog.open(villages, villages.length === 0).catch(showError);
};
$('open-import').addEventListener('click', openImport);
$('empty-import').addEventListener('click', openImport);
$('open-export').addEventListener('click', () => {
  const { scope, title } = selectedPlace();
  exportDialog.open(scope, title.replace('（全镇）', '')).catch(showError);
});

/** A file found damaged after the start: nothing else shows, the latest good backup is offered. */
function showDamaged(error) {
  $('login-screen').hidden = true;
  $('workbench').hidden = true;
  for (const d of document.querySelectorAll('dialog[open]')) d.close();
  recovery.show({ code: 'damaged', message: error.message }).catch(showError);
}
document.addEventListener('huce:damaged', (e) => showDamaged(e.detail));

const AFTER_START = {
  quick_check: () => '正在检查数据库…',
  full_check: () => '正在全面检查数据库…',
  backup: (s) => `正在做今天的自动备份 ${s.total ? Math.floor((100 * s.done) / s.total) : 0}%`,
  verify_backup: () => '正在校验今天的备份…',
};

/**
 * The header says what the checks of the file and the day's first backup are doing (they run
 * after the window shows, #21), until they are done; a failed backup stays there in red.
 */
async function followAfterStart() {
  const el = $('after-start');
  // On the login card too (it covers the header): only the quick check holds the login back.
  const card = $('login-checking');
  let shown = false;
  for (;;) {
    let s;
    try {
      s = await ipc.afterStartStatus();
    } catch {
      return;
    }
    const text = AFTER_START[s.stage];
    card.hidden = !text;
    card.textContent = {
      quick_check: '正在检查数据库文件，检查完即可登录（大的文件要几秒钟）…',
      full_check: '数据库的全面检查在后台进行，可以照常登录。',
    }[s.stage] ?? '今天的自动备份在后台进行，可以照常登录。';
    if (text) {
      el.hidden = false;
      el.textContent = text(s);
      el.title = '数据库的完整性检查和每天第一次打开时的自动备份在后台进行，可以照常登录和工作。';
      shown = true;
    } else if (s.stage === 'damaged') {
      el.hidden = true;
      showDamaged({ message: s.message });
      return;
    } else if (s.stage === 'backup_failed') {
      el.hidden = false;
      el.classList.add('failed');
      el.textContent = '今天的自动备份没有完成';
      el.title = `${s.message}\n数据没有受影响。可以在“管理 → 备份”中点“立即备份”再试。`;
      return;
    } else {
      if (shown) {
        el.textContent = '数据库检查完毕';
        setTimeout(() => { el.hidden = true; }, 3000);
      }
      return;
    }
    await new Promise((r) => setTimeout(r, 400));
  }
}

async function start() {
  try {
    setVocabularies(await ipc.vocabularies());
    info = await ipc.appInfo();
    setDatabase(info.db_path);
    showHeader();
    if (info.open_error) {
      recovery.show(info.open_error, info.engine === 'server').catch(showError);
      return;
    }
    followAfterStart();
    await session.ensureLogin();
    await reload();
  } catch (err) {
    showError(err);
  }
}

start();
