// The details pane: one household (personal data masked) and its toilets with their baseline
// fields (台账底数), as the town received them.

import { el, fill, toast } from '../dom.js';
import * as ipc from '../ipc.js';
import { label, yesNo } from '../labels.js';

const field = (name, value, extra) =>
  el('div', { class: 'field' }, el('dt', {}, name), el('dd', {}, value ?? '—', extra ?? null));

const yuan = (fen) => (fen === null || fen === undefined ? '—' : `${(fen / 100).toLocaleString('zh-CN', { minimumFractionDigits: 2 })} 元`);
const year = (y) => (y === null || y === undefined ? '—' : `${y}年`);
const people = (n) => (n === null || n === undefined ? '—' : `${n} 人`);

function toiletCard(t, index, file, onInspect) {
  const mode = label('TechMode', t.tech_mode);
  const status = t.use_status ? label('UseStatus', t.use_status) : null;
  const inspections = file ? file.inspections.filter((i) => i.toilet_id === t.id) : [];
  const cases = file ? file.cases.filter((c) => c.toilet_id === t.id) : [];
  const open = cases.find((c) => c.state !== 'closed');
  const notices = file ? (file.notices ?? []).filter((n) => n.toilet_seq === t.seq) : [];
  return el('section', { class: 'toilet-card', dataset: { toiletId: t.id } },
    el('h3', {}, `第 ${t.seq} 个户厕`, el('span', { class: 'toilet-mode' }, mode),
      status ? el('span', { class: `status status-${t.use_status}` }, status) : null,
      inspections.length ? el('span', { class: 'status status-inspected' }, `已核查 ${inspections.length} 次`) : el('span', { class: 'status status-uninspected' }, '未核查'),
      open ? el('span', { class: `state state-${open.state}` }, label('CaseState', open.state)) : null,
      mayRecord() ? el('button', { type: 'button', class: 'tool small inspect-toilet', onclick: () => onInspect(index) }, '录入核查') : null),
    el('dl', { class: 'fields' },
      field('技术模式', mode),
      field('厕所位置', label('Location', t.location)),
      field('建设（改造）年度', year(t.build_year)),
      field('是否卫生厕所', yesNo(t.is_sanitary)),
      field('是否财政补助', yesNo(t.subsidized)),
      field('补助年度', year(t.subsidy_year)),
      field('补助金额', yuan(t.subsidy_amount_fen)),
      field('项目名称', t.project_name),
      field('使用状态', status),
      field('底数来源', label('BaselineSource', t.baseline_source))),
    notices.map((n) => el('p', { class: 'notice-line', dataset: { paper: n.state } },
      `整改告知单 ${n.number}：`, el('b', {}, PAPER[n.state]),
      n.delivered_on ? `（${n.delivered_on} 由${n.delivered_by}送达${n.receipt_on ? `，${n.receipt_on} 回执收回` : ''}）` : `（${n.first_printed_at.slice(0, 10)} 打印）`,
      n.outdated ? el('span', { class: 'warn' }, '整改类别已改，需重新打印送达') : null)));
}

const PAPER = { undelivered: '未送达', receipt_missing: '回执未收回', returned: '回执已收回' };

const RESULT = (i) => {
  if (i.household_status !== 'normal') return label('HouseholdStatus', i.household_status) + (i.status_note ? `（${i.status_note}）` : '');
  if (!i.has_problems) return '无问题';
  return i.problems.map((p) => `${p.name}${p.stops_use ? '（影响使用）' : ''}`).join('、');
};

/** Whether the logged-in role may do `action` (the command gate decides anyway). */
const may = (action) => (document.body.dataset.allowed ?? '').split(' ').includes(action);

const mayRecord = () => may('record_inspection') || may('record_spot_check');

/** 排查人 → 审核人 → 负责人 as signed in the app; a reviewer may unlock a reviewed result. */
function signatures(i) {
  const s = i.signatures;
  const sig = (x) => (x ? `${x.signer} ${x.signed_at.slice(0, 10)}` : '未签');
  const unlock = s.review && may('review')
    ? el('button', { type: 'button', class: 'link unlock-result', onclick: async () => {
      const reason = window.prompt('解锁后可以修改这条结果，审核和负责人的签字会被清除，需要重新审核。请写明解锁原因：');
      if (reason === null) return;
      try {
        await ipc.unlockResult(i.id, reason);
        toast('已解锁。修改后请重新审核签字。', 'info');
        document.dispatchEvent(new CustomEvent('huce:signatures-changed'));
      } catch (err) {
        toast(err.message);
      }
    } }, '解锁')
    : null;
  return el('div', { class: `signatures${s.review ? ' locked' : ''}` },
    `审核：${sig(s.review)}；负责人：${sig(s.responsible)}`, s.review ? el('span', { class: 'lock' }, ' 已锁定') : null, unlock);
}

function inspectionItem(i, toilets) {
  const t = toilets.find((x) => x.id === i.toilet_id);
  const photos = el('div', { class: 'photos small' }, i.photos.map((hash) => {
    const img = el('img', { alt: '核查照片' });
    ipc.photoData(hash).then((url) => { img.src = url; }, () => { img.alt = '照片文件缺失'; });
    return el('figure', { class: 'thumb' }, img);
  }));
  return el('li', { class: `inspection${i.has_problems ? ' has-problems' : ''}` },
    el('div', { class: 'when' }, `${i.inspected_on} · ${label('InspectionKind', i.kind)} · 第${t?.seq ?? '?'}个户厕`),
    el('div', { class: 'what' }, RESULT(i)),
    el('div', { class: 'who' }, `调查组：${i.members.join('、')}；录入：${i.recorded_by}`),
    signatures(i),
    i.corrections.length ? el('div', { class: 'remark' }, `台账更正：${i.corrections.map((c) => `${c.field} ${c.old_value ?? '（空）'} → ${c.new_value ?? '（空）'}`).join('；')}`) : null,
    i.remarks ? el('div', { class: 'remark' }, i.remarks) : null,
    i.photos.length ? photos : null);
}

/** The household's 待核实 values, with a link to the worklist. */
function pendingBox(pending, onPending) {
  if (!pending.length) return null;
  return el('div', { class: 'pending-box', id: 'detail-pending' },
    el('b', {}, `待核实 ${pending.length} 项`), '（导入台账时写得不对或无法识别，暂时空着）',
    onPending ? el('button', { type: 'button', class: 'link', onclick: onPending }, '去核实更正') : null,
    el('ul', {}, pending.map((p) => el('li', {},
      `${p.toilet_seq ? `第${p.toilet_seq}个户厕 ` : ''}${p.field_label}：台账写作“${p.written}”——${p.reason}`))));
}

/**
 * d: HouseholdDetail; file: FieldFile or null; onInspect(toiletIndex) opens the form; pending:
 * the household's open 待核实 entries, onPending opens the worklist.
 */
export function renderDetail(container, d, file = null, onInspect = () => {}, onPrint = null, pending = [], onPending = null, onAddToilet = null) {
  const idWarning = d.id_number_valid === false
    ? el('span', { class: 'warn' }, '校验位不正确，请核对')
    : null;
  fill(container, 
    el('div', { class: 'hh-head' },
      el('h2', { id: 'detail-name' }, d.head_name),
      el('div', { class: 'hh-place' }, `${d.village_name} · ${d.group_name}`),
      el('span', { class: `cat-tag cat-${d.category}` }, label('HouseholdCategory', d.category)),
      d.no_toilet ? el('span', { class: 'cat-tag no-toilet', id: 'detail-no-toilet', title: '无厕所户：不计入户厕数和排查率，单独统计' }, '无厕所户') : null,
      d.toilets.length && mayRecord() ? el('button', { type: 'button', class: 'primary small', id: 'inspect-household', title: '从第一个户厕开始录入入户核查表（Enter 保存后自动转到下一个）', onclick: () => onInspect(0) }, '录入核查') : null,
      onPrint ? el('button', { type: 'button', class: 'tool small', id: 'print-household', title: '打印这户的档案（台账底数、核查记录、照片、整改记录），用于区级抽查', onclick: onPrint }, '打印户档案') : null),
    pendingBox(pending, onPending),
    el('dl', { class: 'fields household-fields' },
      field('身份证号', d.id_number ?? '未登记', idWarning),
      field('联系电话', d.phone ?? '未登记'),
      field('住址', d.address),
      field('户籍人口', people(d.registered_pop)),
      field('常住人口', people(d.resident_pop)),
      field('是否常住', d.is_resident ? '常住' : '不常住（外出）')),
    d.masked ? el('p', { class: 'note' }, '身份证号和电话按个人信息保护要求隐去中间位。',
      may('view_personal') ? el('button', { type: 'button', class: 'link', id: 'reveal-personal', onclick: async (e) => {
        try {
          const [id, phone] = await ipc.revealPersonal(d.id);
          const dds = container.querySelectorAll('.household-fields dd');
          dds[0].firstChild.textContent = id ?? '未登记';
          dds[1].firstChild.textContent = phone ?? '未登记';
          e.target.replaceWith(el('span', { class: 'hint-inline' }, '（已显示完整号码，此次查看已记入操作日志）'));
        } catch (err) {
          toast(err.message);
        }
      } }, '显示完整号码') : null) : null,
    el('h3', { class: 'section-title' }, `户厕（${d.toilets.length} 个）`,
      onAddToilet && may('record_inspection') ? el('button', { type: 'button', class: 'link', id: 'add-found-toilet', title: '入户核查发现台账漏登的户厕', onclick: onAddToilet }, '新增户厕…') : null),
    d.toilets.length
      ? el('div', { class: 'toilets', id: 'toilets' }, d.toilets.map((t, i) => toiletCard(t, i, file, onInspect)))
      : el('p', { class: 'placeholder', id: 'toilets' }, d.no_toilet
        ? '无厕所户：台账登记这户没有厕所，不计入户厕数和排查率，在月调度和月通报中单独统计。新建厕所后随台账导入登记。'
        : '这户没有登记户厕。'),
    file ? el('h3', { class: 'section-title' }, `核查记录（${file.inspections.length} 次）`) : null,
    file && file.inspections.length
      ? el('ol', { class: 'history inspections', id: 'inspections' }, file.inspections.map((i) => inspectionItem(i, d.toilets)))
      : file ? el('p', { class: 'placeholder' }, '还没有核查记录。') : null,
  );
}
