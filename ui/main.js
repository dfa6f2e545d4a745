// Starts the workbench: header, place tree, household list and details pane.

import { $, toast } from './dom.js';
import * as ipc from './ipc.js';
import { setVocabularies } from './labels.js';
import { PlaceTree } from './screens/tree.js';
import { HouseholdList } from './screens/list.js';
import { renderDetail } from './screens/detail.js';
import { ImportDialog } from './screens/import.js';
import { ExportDialog } from './screens/export.js';

const showError = (err) => toast(err.message || String(err));

let info;
let detailRequest = 0;

const tree = new PlaceTree($('tree'), ({ scope, title }) => {
  $('scope-title').textContent = title;
  list.load(scope, $('search').value);
});

const list = new HouseholdList({
  body: $('list-body'),
  spacer: $('list-spacer'),
  countEl: $('list-count'),
  onError: showError,
  onSelect: async (id) => {
    const mine = ++detailRequest;
    try {
      const d = await ipc.householdDetail(id);
      if (mine === detailRequest) renderDetail($('detail'), d);
    } catch (err) {
      showError(err);
    }
  },
});

const UNSET_TOWN = '（未设置镇名）';
/** The town's name for titles, or 全镇 when it has not been set yet. */
const townLabel = () => (info.town && info.town.town_name !== UNSET_TOWN ? info.town.town_name : '全镇');

function showHeader() {
  const town = info.town;
  $('town-name').textContent = town ? `${town.district_name} ${town.town_name}`.trim() : '';
  $('demo-badge').hidden = !(town && town.is_demo);
  $('db-path').textContent = `数据库：${info.db_path}`;
  $('db-path').title = `当前打开的数据库文件：${info.db_path}`;
}

async function showWorkbench() {
  $('workbench').hidden = false;
  const empty = info.households === 0;
  $('empty-db').hidden = !empty;
  $('list-body').hidden = empty;
  document.querySelector('.list-head').hidden = empty;
  $('search').disabled = empty;
  const t = await ipc.villageTree();
  currentTree = t;
  $('open-export').disabled = empty;
  tree.show(t, townLabel());
  if (!empty) {
    $('scope-title').textContent = tree.describe('town').title;
    await list.load({ kind: 'town' }, '');
  }
}

async function start() {
  try {
    setVocabularies(await ipc.vocabularies());
    info = await ipc.appInfo();
    showHeader();
    if (info.open_error) {
      $('fatal').hidden = false;
      $('fatal-message').textContent = info.open_error.message;
      return;
    }
    await showWorkbench();
  } catch (err) {
    showError(err);
  }
}

$('load-demo').addEventListener('click', async () => {
  const button = $('load-demo');
  button.disabled = true;
  $('load-demo-status').textContent = '正在生成示例数据，请稍候…';
  try {
    const s = await ipc.loadDemo();
    toast(`已载入示例数据：${s.villages} 个行政村、${s.groups} 个社、${s.households} 户、${s.toilets} 个户厕。`, 'info');
    info = await ipc.appInfo();
    showHeader();
    await showWorkbench();
  } catch (err) {
    showError(err);
  } finally {
    button.disabled = false;
    $('load-demo-status').textContent = '';
  }
});

// Settings: district and town names.
$('open-settings').addEventListener('click', () => {
  if (!info || info.open_error) return;
  $('set-district').value = info.town?.district_name ?? '';
  $('set-town').value = info.town && info.town.town_name !== UNSET_TOWN ? info.town.town_name : '';
  $('settings-error').textContent = '';
  $('settings-dialog').showModal();
  $('set-district').focus();
});
$('settings-cancel').addEventListener('click', () => $('settings-dialog').close());
$('settings-form').addEventListener('submit', async (e) => {
  e.preventDefault();
  try {
    info.town = await ipc.saveTownNames($('set-district').value, $('set-town').value);
    $('settings-dialog').close();
    showHeader();
    tree.show(await ipc.villageTree(), townLabel());
    $('scope-title').textContent = tree.describe(tree.selected).title;
    toast('已保存区、镇名称。', 'info');
  } catch (err) {
    $('settings-error').textContent = err.message;
  }
});

// Import and export.
let currentTree = null;
const importDialog = new ImportDialog({
  onImported: async () => {
    info = await ipc.appInfo();
    showHeader();
    await showWorkbench();
    if (info.town?.town_name === UNSET_TOWN) toast('导入完成。请点右上角“设置”填写区、镇名称，它们会印在文书上。', 'info');
  },
});
const exportDialog = new ExportDialog();
const openImport = () => {
  const villages = (currentTree?.villages ?? []).map((v) => v.name);
  importDialog.open(villages, villages.length === 0).catch(showError);
};
$('open-import').addEventListener('click', openImport);
$('empty-import').addEventListener('click', openImport);
$('open-export').addEventListener('click', () => {
  const { scope, title } = tree.describe(tree.selected);
  exportDialog.open(scope, title.replace('（全镇）', '')).catch(showError);
});

let searchTimer;
$('search').addEventListener('input', () => {
  clearTimeout(searchTimer);
  searchTimer = setTimeout(() => list.load(list.scope ?? { kind: 'town' }, $('search').value), 200);
});
$('search').addEventListener('keydown', (e) => {
  if (e.key === 'Escape') {
    $('search').value = '';
    list.load(list.scope ?? { kind: 'town' }, '');
  } else if (e.key === 'ArrowDown' || e.key === 'Enter') {
    e.preventDefault();
    $('list-body').focus();
    if (list.selectedIndex < 0) list.select(0);
  }
});
document.addEventListener('keydown', (e) => {
  if ((e.ctrlKey || e.metaKey) && e.key.toLowerCase() === 'f') {
    e.preventDefault();
    $('search').focus();
    $('search').select();
  }
});

start();
