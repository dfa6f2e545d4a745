//! One import from start to end: the reader thread's rows matched to the database and written
//! in one transaction, with a verified backup of the file as it was before when committing
//! changes (on the database file; the server's backups are its own scheduled dumps).

use std::path::Path;

use rusqlite::{params, Connection};

use super::index::{FileHousehold, Places};
use super::merge::Merge;
use super::pre_backup::PreBackup;
use super::reader::{
    column_header, columns_info, header_texts, Checked, Chosen, Flow, Msg, Plan, RowReader,
    ValidRow,
};
use super::stored::{Door, Stored, TOILET_COLUMNS};
use super::types::RowFlag;
use super::types::{BaselineList, MergeLine};
use super::types::{FastMap, FastSet, ImportOptions, ImportReport, Mode, RowProblem};
use super::values::{household_fields, toilet_fields, FieldValue};
use super::write::{door_note, update_fields, update_household, ChangeLog};
use crate::error::{Error, Result};
use crate::ledger_io::import::headers::{Field, HeaderMatch};
use crate::ledger_io::import::normalize::{self as norm, GroupName};
use crate::ledger_io::pending::open::{OpenChecks, Origin};
use crate::model::{BaselineSource, HouseholdCategory, NewHousehold, NewToilet, TechMode};
use crate::places::bulk::{Bulk, LaterIndexes};
use crate::places::households;
use crate::store::backup;
use crate::store::sql::{self, Db};

/// Reads `path` and imports it into the database file: see [`import_into`].
pub fn import_file(
    conn: &mut Connection,
    path: &Path,
    opts: &ImportOptions,
    mode: &Mode,
    progress: &mut dyn FnMut(usize, usize),
) -> Result<ImportReport> {
    import_into(&*conn, path, opts, mode, progress)
}

/// Reads `path` and imports it: a dry run (nothing changes) or a commit (one transaction; on
/// the database file a verified backup is taken first, on the server its scheduled dumps are
/// the backups). `progress(done, total)` is called as rows are processed.
pub fn import_into<'a>(
    db: impl Into<Db<'a>>,
    path: &Path,
    opts: &ImportOptions,
    mode: &Mode,
    progress: &mut dyn FnMut(usize, usize),
) -> Result<ImportReport> {
    let db = db.into();
    crate::store::sql::with_bulk_cache(db, || import_with(db, path, opts, mode, progress))
}

fn import_with(
    db: Db<'_>,
    path: &Path,
    opts: &ImportOptions,
    mode: &Mode,
    progress: &mut dyn FnMut(usize, usize),
) -> Result<ImportReport> {
    let mut reader = RowReader::spawn(path, opts.sheet.clone(), true);
    let opened = reader.opened()?;
    let file_name = path
        .file_name()
        .map(|f| f.to_string_lossy().into_owned())
        .unwrap_or_default();
    let sheet_names = opened.sheet_names;
    let (sheet_name, head, header, rows_hint) = match opened.chosen {
        Chosen::Sheet {
            name,
            head,
            header,
            rows_hint,
        } => (name, head, header, rows_hint),
        Chosen::NoSuchSheet => {
            return Err(Error::Invalid(format!(
                "文件“{file_name}”里没有名为“{}”的工作表。现有工作表：{}。",
                opts.sheet.as_deref().unwrap_or_default(),
                sheet_names.join("、")
            )))
        }
        Chosen::NoSheets => {
            return Err(Error::Invalid(format!(
                "文件“{file_name}”是空的，没有可导入的内容。"
            )))
        }
    };
    let mut used_saved_mapping = false;
    let header = match (header, &opts.columns) {
        (Some(h), Some(cols)) => HeaderMatch { header_row: h.header_row, columns: cols.clone() },
        (Some(h), None) => match crate::ledger_io::import::mapping::load(db, &header_texts(&head, &h))? {
            Some(saved) => {
                used_saved_mapping = true;
                HeaderMatch { header_row: h.header_row, columns: saved }
            }
            None => h,
        },
        (None, Some(cols)) => HeaderMatch { header_row: 0, columns: cols.clone() },
        (None, None) => {
            return Err(Error::Invalid(format!(
                "在“{file_name}”的工作表“{sheet_name}”里没有找到表头。表头行要有“户主姓名”（或“户主”“姓名”）一列，以及“行政村”“社”等列；请检查后重试，或在导入界面手动指定各列。",
            )))
        }
    };
    let headers = header_texts(&head, &header);
    let columns = header.columns.clone();
    let has = |f: Field| columns.contains(&Some(f));
    let mut missing = Vec::new();
    if !has(Field::HeadName) {
        missing.push("户主姓名");
    }
    if !has(Field::Group) {
        missing.push("社");
    }
    // A workbook with a sheet per village: a sheet without a 行政村 column is the village its
    // name says, when the town has that village (or the import may create it).
    let place_prefixes = place_prefixes(db)?;
    let mut default_village = opts.default_village.clone();
    let mut village_from_sheet = None;
    if !has(Field::Village) && default_village.is_none() {
        village_from_sheet =
            village_of_sheet(db, &sheet_name, &place_prefixes, opts.create_places)?;
        default_village = village_from_sheet.clone();
    }
    if !has(Field::Village) && default_village.is_none() {
        missing.push("行政村（或在导入时指定本文件所属的行政村）");
    }
    if !missing.is_empty() {
        return Err(Error::Invalid(format!(
            "“{file_name}”缺少必需的列：{}。请在导入界面把对应的列指定出来。",
            missing.join("、")
        )));
    }
    let plan = Plan {
        header_row: header.header_row,
        columns: columns.clone(),
        headers: headers.clone(),
        default_village,
        current_year: opts.current_year,
        place_prefixes,
    };
    // The reader checks rows from here on.
    reader.start(plan.clone());

    // Which list the file is, from its columns and its first rows.
    let list = opts.list.of_file(
        &columns,
        head.get(header.header_row + 1..).unwrap_or_default(),
    );
    let mut report = ImportReport {
        list,
        file_name: file_name.clone(),
        sheet_name,
        sheets: sheet_names,
        header_row: header.header_row + 1,
        columns: columns_info(&headers, &columns),
        used_saved_mapping,
        village_from_sheet,
        ..Default::default()
    };

    // The file as it is now is held for the backup, taken once the import changes something
    // (see `pre_backup`); the import commits only once that backup has been checked.
    let mut pre = match (mode, db) {
        (Mode::Commit { backup_dir, stamp }, Db::File(conn)) => Some(PreBackup::hold(
            conn,
            backup::new_backup_path(backup_dir, stamp, "导入前"),
        )?),
        _ => None,
    };

    // A bigger page cache while the import runs: matching and updating touch the whole table.
    // (The server sizes its own.)
    let cache = match db {
        Db::File(conn) => {
            let cache: i64 = conn.query_row("PRAGMA cache_size", [], |r| r.get(0))?;
            conn.pragma_update(None, "cache_size", -131_072)?;
            Some((conn, cache))
        }
        Db::Server(_) => None,
    };
    let data_rows_hint = rows_hint.saturating_sub(header.header_row + 1);
    let before = report.clone();
    let mut result = import_in_transaction(
        db,
        &mut reader,
        data_rows_hint,
        &columns,
        &headers,
        opts,
        mode,
        &mut pre,
        &mut report,
        progress,
    );
    if let Ok(Flow::Unordered) = result {
        // Rolled back: read the sheet again, whole, and import it from the start.
        drop(reader);
        report = before;
        reader = RowReader::spawn(path, opts.sheet.clone(), false);
        result = reader.opened().and_then(|_| {
            reader.start(plan);
            import_in_transaction(
                db,
                &mut reader,
                data_rows_hint,
                &columns,
                &headers,
                opts,
                mode,
                &mut pre,
                &mut report,
                progress,
            )
        });
    }
    drop(reader);
    // Never leave the check running (an error above may have left it unjoined).
    let checked = pre.as_mut().map_or(Ok(()), PreBackup::checked);
    if let Some((conn, cache)) = cache {
        conn.pragma_update(None, "cache_size", cache)?;
    }
    let flow = result?;
    checked?;
    match flow {
        Flow::Done => Ok(report),
        Flow::Unreadable(e) => {
            // The file broke after the backup was taken: nothing changed, so the backup only
            // adds clutter (a file unreadable at the start never gets one).
            if let Some(backup) = pre.as_ref().and_then(PreBackup::path) {
                let _ = std::fs::remove_file(backup);
            }
            Err(e)
        }
        Flow::Unordered => unreachable!("the whole-sheet reader hands out rows in order"),
    }
}

/// The rows changed on the database file's connection so far (none counted on the server).
fn changes(db: Db<'_>) -> Option<u64> {
    match db {
        Db::File(conn) => Some(conn.total_changes()),
        Db::Server(_) => None,
    }
}

/// The names an office may write in front of a village: the city, the district and the town
/// (those set in 镇设置).
fn place_prefixes(db: Db<'_>) -> Result<Vec<String>> {
    use crate::store::settings::{get, KEY_DISTRICT, KEY_TOWN};
    let mut prefixes = vec!["重庆市".to_string()];
    for key in [KEY_DISTRICT, KEY_TOWN] {
        prefixes.extend(get(db, key)?.map(|name| name.trim().to_string()));
    }
    Ok(prefixes)
}

/// The village a sheet's name gives ("石鱼村", "石鱼镇石鱼村"): one the town has, or, when the
/// import may create villages, a name that says it is a village (…村, …社区).
fn village_of_sheet(
    db: Db<'_>,
    sheet: &str,
    prefixes: &[String],
    create_places: bool,
) -> Result<Option<String>> {
    let Some(name) =
        norm::village(sheet).and_then(|v| norm::village(norm::without_prefixes(&v, prefixes)))
    else {
        return Ok(None);
    };
    let known: i64 = db.query_row(
        "SELECT count(*) FROM villages WHERE name = ?1",
        params![name],
        |r| r.get(0),
    )?;
    let written = sheet.trim();
    let says_village = ["村", "社区", "村委会", "村民委员会", "居委会", "居民委员会"]
        .iter()
        .any(|end| written.ends_with(end));
    Ok((known > 0 || (create_places && says_village)).then_some(name))
}

/// Imports the rows as one unit: kept when committing, undone after a dry run (which so
/// shows exactly what a commit would do) or when the sheet must be read again whole.
#[allow(clippy::too_many_arguments)]
pub(super) fn import_in_transaction(
    db: Db<'_>,
    reader: &mut RowReader,
    rows_hint: usize,
    columns: &[Option<Field>],
    headers: &[String],
    opts: &ImportOptions,
    mode: &Mode,
    pre: &mut Option<PreBackup>,
    report: &mut ImportReport,
    progress: &mut dyn FnMut(usize, usize),
) -> Result<Flow> {
    let file_name = report.file_name.clone();
    // A unit ends undone only by an error: a flow that keeps nothing is put here, and the
    // error that carries it out is not one.
    let mut undone: Option<Flow> = None;
    let kept = db.atomically(|tx| {
        let batch_id = if matches!(mode, Mode::Commit { .. }) {
            Some(tx.query_row(
                "INSERT INTO import_batches (at, actor, file_name, sheet_name, rows_total, rows_rejected, households_new,
                                             households_updated, toilets_new, toilets_updated)
                 VALUES (?1, ?2, ?3, ?4, 0, 0, 0, 0, 0, 0) RETURNING id",
                params![opts.now, opts.actor, file_name, report.sheet_name],
                |r| r.get::<_, i64>(0),
            )?)
        } else {
            None
        };
        // Whether the rows have changed anything, the batch's own record aside: then the
        // backup of the file as it was is taken, while the rest is written.
        let recorded = changes(tx);
        let mut wrote = || {
            if let Some(p) = pre.as_mut().filter(|_| changes(tx) > recorded) {
                p.take();
            }
        };
        let later = LaterIndexes::drop_if_empty(tx)?;
        let flow = apply_rows(
            tx, reader, rows_hint, columns, headers, opts, batch_id, report, &mut wrote, progress,
        )?;
        wrote();
        report.backup_path = pre
            .as_ref()
            .and_then(PreBackup::path)
            .map(|p| p.display().to_string());
        report.backup_not_needed = pre.is_some() && report.backup_path.is_none();
        let Some(id) = batch_id.filter(|_| matches!(flow, Flow::Done)) else {
            // A dry run, or a sheet to read again: nothing it did stays.
            undone = Some(flow);
            return Err(Error::Invalid("导入未提交。".into()));
        };
        later.build(tx)?;
        tx.execute(
            "UPDATE import_batches SET rows_total = ?1, rows_rejected = ?2, households_new = ?3, households_updated = ?4,
                                      toilets_new = ?5, toilets_updated = ?6, rows_flagged = ?8, backup_path = ?9
             WHERE id = ?7",
            params![
                report.rows_total as i64,
                report.rows_rejected as i64,
                report.households_new as i64,
                report.households_updated as i64,
                report.toilets_new as i64,
                report.toilets_updated as i64,
                id,
                report.rows_flagged as i64,
                report.backup_path
            ],
        )?;
        if opts.columns.is_some() {
            // The user corrected the mapping: remember it for the next file of this layout.
            crate::ledger_io::import::mapping::save(tx, headers, columns)?;
        }
        crate::store::audit::append(
            tx,
            &opts.now,
            "import",
            "import_batch",
            id,
            &format!(
                "导入“{file_name}”：新增 {} 户、更新 {} 户，新增户厕 {} 个、更新 {} 个，{} 行有待核实的内容，{} 行未导入",
                report.households_new,
                report.households_updated,
                report.toilets_new,
                report.toilets_updated,
                report.rows_flagged,
                report.rows_rejected
            ),
            serde_json::json!({
                "file": file_name,
                "sheet": report.sheet_name,
                "rows": report.rows_total,
                "backup": report.backup_path,
            }),
        )?;
        pre.as_mut().map_or(Ok(()), PreBackup::checked)?;
        Ok(id)
    });
    match (kept, undone) {
        (Ok(id), _) => {
            report.committed = true;
            report.batch_id = Some(id);
            Ok(Flow::Done)
        }
        (Err(_), Some(flow)) => Ok(flow),
        (Err(e), None) => Err(e),
    }
}

#[allow(clippy::too_many_arguments)]
pub(super) fn apply_rows(
    tx: Db<'_>,
    reader: &mut RowReader,
    rows_hint: usize,
    columns: &[Option<Field>],
    headers: &[String],
    opts: &ImportOptions,
    batch_id: Option<i64>,
    report: &mut ImportReport,
    wrote: &mut dyn FnMut(),
    progress: &mut dyn FnMut(usize, usize),
) -> Result<Flow> {
    let mut places = Places::load(tx)?;
    let (mut homes, mut stored) = Stored::load(tx, rows_hint)?;
    let mut open = OpenChecks::load(tx)?;
    // 待核实 values: of toilets, recorded as their rows are written; of households, when the
    // file has ended (see below). And the questionable ID numbers of this file's households.
    let mut recorded: Vec<RowFlag> = Vec::new();
    let mut deferred: FastMap<(i64, Field), RowFlag> = FastMap::default();
    let mut file_questionable: FastMap<i64, String> = FastMap::default();
    let mut in_file: FastMap<i64, FileHousehold> =
        FastMap::with_capacity_and_hasher(rows_hint.min(1 << 20), Default::default());
    let mut bulk = Bulk::new();
    let mut growth = Growth::new(homes.count);
    let source = format!("导入：{}", report.file_name);
    let mut log = ChangeLog::new(tx);
    let col = |f: Field| column_header(columns, headers, f);
    // A subsidy list is merged into the stored toilets (查缺补漏), not written row by row
    // (`report.list`: recognised when the header was read, see `import_with`).
    let mut merge = (report.list == BaselineList::Subsidy).then(Merge::default);
    // The toilet fields field work established: read when a row first differs from one.
    let mut door = Door::default();
    let mut k = 0;
    loop {
        let batch = match reader.recv() {
            Msg::Rows(batch) => batch,
            Msg::End => break,
            Msg::Unordered => return Ok(Flow::Unordered),
            Msg::Failed(e) => return Ok(Flow::Unreadable(e)),
            Msg::Note(note) => {
                report.notes.push(note);
                continue;
            }
            Msg::Opened(_) => continue,
        };
        for checked in batch {
            if k % 500 == 0 {
                progress(k, rows_hint.max(k));
            }
            k += 1;
            let ValidRow {
                row,
                mut v,
                name,
                flags,
            } = match checked {
                Checked::Blank => {
                    report.rows_blank += 1;
                    continue;
                }
                Checked::Skipped(note) => {
                    report.rows_skipped += 1;
                    report.skipped.push(note);
                    continue;
                }
                Checked::Rejected(problems) => {
                    report.rows_total += 1;
                    report.rows_rejected += 1;
                    report.problems.extend(problems);
                    continue;
                }
                Checked::Valid(valid) => *valid,
            };
            report.rows_total += 1;
            if merge.is_some() && v.subsidized.is_none() {
                // Every row of a subsidy list is a subsidised toilet.
                v.subsidized = Some(true);
            }
            // A row left out: why, then every value that would have been 待核实.
            let reject = |report: &mut ImportReport, column: String, message: String| {
                report.problems.push(RowProblem {
                    row,
                    column,
                    message,
                });
                report.problems.extend(flags.iter().map(|f| RowProblem {
                    row: f.row,
                    column: f.column.clone(),
                    message: f.message.clone(),
                }));
                report.rows_rejected += 1;
            };

            // Places.
            let village_name = v.village.clone().unwrap_or_default();
            let village_id = match places.villages.get(&village_name) {
                Some(id) => *id,
                None if opts.create_places => {
                    let id = households::add_village(
                        tx,
                        &village_name,
                        places.villages.len() as i64 + 1,
                    )?;
                    places.villages.insert(village_name.clone(), id);
                    report.new_villages.push(village_name.clone());
                    id
                }
                None => {
                    reject(report, col(Field::Village), format!("行政村“{village_name}”不在本镇的村名单里。请检查村名是否写错；如确是新村，请在导入时勾选“新建数据库中没有的行政村和社”"));
                    continue;
                }
            };
            let g = v.group.clone().unwrap_or(GroupName {
                number: None,
                name: String::new(),
            });
            let existing_group = g
                .number
                .and_then(|n| places.by_number.get(&(village_id, n)).copied())
                .or_else(|| places.by_name.get(&(village_id, g.name.clone())).copied());
            let group_id = match existing_group {
                Some(id) => id,
                None if opts.create_places => {
                    let id = households::add_group(
                        tx,
                        village_id,
                        &g.name,
                        g.number,
                        g.number.unwrap_or(1000),
                    )?;
                    if let Some(n) = g.number {
                        places.by_number.insert((village_id, n), id);
                    }
                    places.by_name.insert((village_id, g.name.clone()), id);
                    places.names.insert(id, format!("{village_name}{}", g.name));
                    report.new_groups.push(format!("{village_name}{}", g.name));
                    id
                }
                None => {
                    reject(report, col(Field::Group), format!("{village_name}没有“{}”。请检查社名是否写错；如确是新社，请在导入时勾选“新建数据库中没有的行政村和社”", g.name));
                    continue;
                }
            };

            // A questionable ID number is not used to find a household, but it is still an ID:
            // a namesake with another number (valid, or questionable and different) is another
            // person.
            let questionable_id = flags
                .iter()
                .find(|f| f.field == Field::IdNumber)
                .map(|f| f.written.clone());
            // The household: by ID number, else by 户主 + 社. A same-name household of an
            // earlier row of this file that this row contradicts: (its row, what differs).
            let mut namesake: Option<(usize, &str)> = None;
            let by_id = v
                .id_number
                .as_ref()
                .and_then(|i| homes.by_id_number.get(i).copied());
            let matched = match by_id {
                Some(id) => Some(id),
                None => {
                    // A same-name household that already has another ID number is another person,
                    // and so is one an earlier row of this file gave another phone or address.
                    let (phone, address) = (v.phone.as_deref(), v.address.as_deref());
                    let mut candidates: Vec<i64> = homes
                        .by_name
                        .get(&(group_id, name.clone()))
                        .map(|c| {
                            c.iter()
                                .copied()
                                .filter(|h| match (&v.id_number, &questionable_id) {
                                    (None, None) => true,
                                    (Some(_), _) => !homes.with_id.contains(h),
                                    (None, Some(q)) => {
                                        !homes.with_id.contains(h)
                                            && file_questionable
                                                .get(h)
                                                .or_else(|| open.written(*h, None, "id_number"))
                                                .is_none_or(|w| w == q)
                                    }
                                })
                                .filter(|h| match in_file.get(h) {
                                    Some(f) => match f.contradicted_by(phone, address) {
                                        Some(differs) => {
                                            namesake.get_or_insert((f.first_row, differs));
                                            false
                                        }
                                        None => true,
                                    },
                                    None => true,
                                })
                                .collect()
                        })
                        .unwrap_or_default();
                    if candidates.len() > 1 {
                        candidates =
                            same_address_or_phone(tx, &mut stored, candidates, phone, address)?;
                    }
                    match candidates.as_slice() {
                        [] => None,
                        [one] => Some(*one),
                        many => {
                            // Several heads of that name in the 社: only an ID number can tell them apart.
                            let message = format!(
                                "{}有 {} 户户主都叫“{name}”，无法确定是哪一户：请填写身份证号",
                                places.names.get(&group_id).cloned().unwrap_or_default(),
                                many.len()
                            );
                            reject(report, col(Field::IdNumber), message);
                            continue;
                        }
                    }
                }
            };
            let household_id = match matched {
                Some(id) => {
                    let settled = settle(
                        tx,
                        &mut open,
                        id,
                        None,
                        || household_fields(&v),
                        &flags,
                        opts,
                    )?;
                    let (changed, old_group, old_head) = update_household(
                        tx,
                        &mut || bulk.ready(tx, id),
                        &mut log,
                        id,
                        group_id,
                        &v,
                        &places,
                        opts,
                        &source,
                        batch_id,
                        report,
                        &mut stored,
                        &settled,
                    )?;
                    let head = v.head_name.as_ref().unwrap_or(&old_head);
                    if *head != old_head {
                        report.new_heads.push(RowProblem {
                            row,
                            column: col(Field::HeadName),
                            message: format!(
                                "身份证号与已有农户“{old_head}”（{}）相同：按户主变更，户主改为“{head}”；如是身份证号写错，请更正后重新导入",
                                places.names.get(&group_id).cloned().unwrap_or_default()
                            ),
                        });
                    }
                    homes.refile(id, (old_group, &old_head), (group_id, head));
                    if let Some(idn) = &v.id_number {
                        homes.note_id(id, idn.clone());
                    }
                    let entry = in_file
                        .entry(id)
                        .or_insert_with(|| FileHousehold::new(false, row));
                    entry.changed |= changed;
                    id
                }
                None => {
                    if let Some(m) = merge.as_mut() {
                        Merge::note(
                            &mut m.report.new_households,
                            MergeLine {
                                row: Some(row),
                                head_name: name.clone(),
                                place: format!("{village_name}{}", g.name),
                                toilet_seq: None,
                                note: "补助名单有，摸排名单无此户：已新增，请核实".into(),
                            },
                        );
                    }
                    let new = NewHousehold {
                        group_id,
                        head_name: name.clone(),
                        id_number: v.id_number.clone(),
                        phone: v.phone.clone(),
                        address: v.address.clone(),
                        registered_pop: v.registered_pop,
                        resident_pop: v.resident_pop,
                        category: v.category.unwrap_or(HouseholdCategory::Ordinary),
                        is_resident: v.is_resident.unwrap_or(true),
                    };
                    let id = bulk.insert_household_now_in(tx, &new, village_id, &opts.now)?;
                    // A later row of this household compares with what was written, which on
                    // the server may still be queued.
                    stored.new_household(id, &new);
                    growth.household_added(tx, &mut bulk)?;
                    homes.add(id, group_id, name.clone(), v.id_number.clone());
                    in_file.insert(id, FileHousehold::new(true, row));
                    if let Some((first, differs)) = namesake {
                        report.namesakes.push(RowProblem {
                            row,
                            column: col(Field::HeadName),
                            message: format!(
                                "与第 {first} 行的“{name}”同在{}，但{differs}不同：按另一户新增，请核实是否为同一户",
                                places.names.get(&group_id).cloned().unwrap_or_default()
                            ),
                        });
                    }
                    id
                }
            };

            let origin = Origin {
                batch_id,
                row,
                now: &opts.now,
            };
            if let Some(q) = &questionable_id {
                file_questionable.insert(household_id, q.clone());
            }
            // A household on several rows (one per toilet) repeats its own fields: its value is
            // 待核实 only if no row of the file gives it, so those flags wait for the file's end.
            let given = v.household_given();
            let in_this_file = in_file
                .get_mut(&household_id)
                .expect("household recorded above");
            in_this_file.given |= given;
            in_this_file.note_given(v.phone.as_deref(), v.address.as_deref());
            let given = in_this_file.given;
            if !deferred.is_empty() {
                deferred.retain(|(h, f), _| *h != household_id || f.bit() & given == 0);
            }
            for f in flags.iter().filter(|f| !f.field.is_toilet()) {
                if f.field.bit() & given == 0 {
                    deferred.insert((household_id, f.field), f.clone());
                }
            }

            // A row whose 技术模式 says 无厕所 is about the household, not a toilet: the
            // household is marked when the file has ended (see below).
            if v.tech_mode == Some(TechMode::NoToilet) {
                in_file
                    .get_mut(&household_id)
                    .expect("household recorded above")
                    .no_toilet_row = Some(row);
                continue;
            }
            // The toilet: the k-th toilet row of a household is its k-th toilet. A row whose
            // only toilet value is 待核实 still has a toilet.
            if v.has_toilet() || flags.iter().any(|f| f.field.is_toilet()) {
                let entry = in_file
                    .get_mut(&household_id)
                    .expect("household recorded above");
                entry.toilet_rows += 1;
                let mut seq = entry.toilet_rows;
                let new_household = entry.new;
                if let Some(m) = merge.as_mut() {
                    m.village(village_id);
                }
                // A household created by this import has no toilets but the ones it adds. A
                // subsidy row finds its toilet by the subsidy record, not by its place.
                if !new_household {
                    // Its toilets are read next: those this file added may still be queued.
                    bulk.ready(tx, household_id)?;
                }
                let existing = if new_household {
                    None
                } else if let Some(m) = merge.as_mut() {
                    match m.pick(tx, &mut stored, household_id, &v)? {
                        Some(found) => {
                            seq = found.seq;
                            if found.record_differs {
                                Merge::note(
                                    &mut m.report.record_differs,
                                    MergeLine {
                                        row: Some(row),
                                        head_name: name.clone(),
                                        place: format!("{village_name}{}", g.name),
                                        toilet_seq: Some(found.seq),
                                        note: "补助年度、金额或项目与库中记录不同：按补助名单更正，原值记入修改记录".into(),
                                    },
                                );
                            }
                            if found.survey_said_no {
                                Merge::note(
                                    &mut m.report.survey_said_no,
                                    MergeLine {
                                        row: Some(row),
                                        head_name: name.clone(),
                                        place: format!("{village_name}{}", g.name),
                                        toilet_seq: Some(found.seq),
                                        note: "摸排名单记为未获财政补助，补助名单有：请核实".into(),
                                    },
                                );
                            }
                            Some((found.id, found.current))
                        }
                        None => {
                            Merge::note(
                                &mut m.report.new_toilets,
                                MergeLine {
                                    row: Some(row),
                                    head_name: name.clone(),
                                    place: format!("{village_name}{}", g.name),
                                    toilet_seq: None,
                                    note: "补助名单有，摸排名单中本户没有对应的户厕：已新增户厕，请核实"
                                        .into(),
                                },
                            );
                            None
                        }
                    }
                } else {
                    stored.toilet(tx, household_id, seq)?
                };
                let toilet_id = match existing {
                    Some((toilet_id, mut current)) => {
                        let fields = match merge {
                            Some(_) => Merge::fields(toilet_fields(&v), &current),
                            None => toilet_fields(&v),
                        };
                        let settled = settle(
                            tx,
                            &mut open,
                            household_id,
                            Some(toilet_id),
                            || toilet_fields(&v),
                            &flags,
                            opts,
                        )?;
                        if update_fields(
                            tx,
                            &mut || bulk.ready(tx, household_id),
                            &mut log,
                            "toilets",
                            "toilet",
                            toilet_id,
                            &fields,
                            &mut current,
                            &TOILET_COLUMNS,
                            opts,
                            &source,
                            batch_id,
                            report,
                            &settled,
                            Some(&mut door),
                        )? {
                            stored.set_toilet(household_id, seq, toilet_id, &current);
                            report.toilets_updated += 1;
                        } else {
                            report.toilets_unchanged += 1;
                        }
                        if !door.kept.is_empty() {
                            for (column, written, at_door, how) in door.kept.drain(..) {
                                let field = Field::of_column(column).expect("a toilet field");
                                report.kept_from_door.push(RowProblem {
                                    row,
                                    column: col(field),
                                    message: door_note(&written, at_door.as_deref(), how),
                                });
                            }
                        }
                        toilet_id
                    }
                    None => {
                        let t = NewToilet {
                            tech_mode: v.tech_mode,
                            location: v.location,
                            build_year: v.build_year,
                            subsidized: v.subsidized,
                            subsidy_year: v.subsidy_year,
                            subsidy_amount_fen: v.subsidy_amount_fen,
                            project_name: v.project_name.clone(),
                            is_sanitary: v
                                .is_sanitary
                                .or(v.tech_mode.and_then(TechMode::is_sanitary)),
                            use_status: v.use_status,
                            baseline_source: if v.subsidized == Some(true) {
                                BaselineSource::Subsidy
                            } else {
                                BaselineSource::Survey
                            },
                        };
                        let toilet_id = bulk.insert_toilet(tx, household_id, &t, &opts.now)?;
                        stored.toilet_added(household_id);
                        if let Some(m) = merge.as_mut() {
                            m.added(toilet_id);
                        }
                        report.toilets_new += 1;
                        toilet_id
                    }
                };
                for f in flags.iter().filter(|f| f.field.is_toilet()) {
                    bulk.ready(tx, household_id)?;
                    record(tx, &mut open, household_id, Some(toilet_id), f, &origin)?;
                    recorded.push(f.clone());
                }
            }
        }
        wrote();
    }
    let mut waiting: Vec<((i64, Field), RowFlag)> = deferred.into_iter().collect();
    waiting.sort_by_key(|(_, f)| f.row);
    if !waiting.is_empty() {
        bulk.flush(tx)?;
    }
    for ((household_id, _), f) in waiting {
        let origin = Origin {
            batch_id,
            row: f.row,
            now: &opts.now,
        };
        record(tx, &mut open, household_id, None, &f, &origin)?;
        recorded.push(f);
    }
    bulk.finish(tx)?;
    growth.finish(tx)?;
    if let Some(m) = merge {
        m.finish(tx, report)?;
    }
    mark_no_toilet(
        tx,
        &stored,
        &mut in_file,
        &mut open,
        batch_id,
        opts,
        &source,
        &mut log,
        &mut recorded,
    )?;
    log.finish()?;
    let order = |f: &RowFlag| Field::ALL.iter().position(|x| *x == f.field);
    recorded.sort_by_key(|f| (f.row, order(f)));
    report.rows_flagged = recorded.iter().map(|f| f.row).collect::<FastSet<_>>().len();
    report.flags = recorded;
    progress(k, k);
    for h in in_file.values() {
        if h.new {
            report.households_new += 1;
        } else if h.changed {
            report.households_updated += 1;
        } else {
            report.households_unchanged += 1;
        }
    }
    Ok(Flow::Done)
}

/// Of several households of one name in one 社, the one with the row's address, else the one
/// with its phone; all of them when neither tells one apart.
fn same_address_or_phone(
    db: Db<'_>,
    stored: &mut Stored,
    candidates: Vec<i64>,
    phone: Option<&str>,
    address: Option<&str>,
) -> Result<Vec<i64>> {
    use super::stored::HOUSEHOLD_COLUMNS;
    let column = |name: &str| {
        HOUSEHOLD_COLUMNS
            .iter()
            .position(|c| *c == name)
            .expect("a stored household column")
    };
    for (given, at) in [(address, column("address")), (phone, column("phone"))] {
        let Some(given) = given else { continue };
        let mut same = Vec::new();
        for &h in &candidates {
            if matches!(&stored.household(db, h)?[at], rusqlite::types::Value::Text(t) if t == given)
            {
                same.push(h);
            }
        }
        if same.len() == 1 {
            return Ok(same);
        }
    }
    Ok(candidates)
}

/// 无厕所户: a household of this file with a 无厕所 row and no toilet is marked; one that has a
/// toilet (stored, or a toilet row of this file) is not, and a stored household whose only word
/// in the file is 无厕所 while it has toilets gets a 待核实 entry on its first toilet (was it
/// demolished?). Each change of the mark is in the change log.
#[allow(clippy::too_many_arguments)]
fn mark_no_toilet(
    tx: Db<'_>,
    stored: &Stored,
    in_file: &mut FastMap<i64, FileHousehold>,
    open: &mut OpenChecks,
    batch_id: Option<i64>,
    opts: &ImportOptions,
    source: &str,
    log: &mut ChangeLog<'_>,
    recorded: &mut Vec<RowFlag>,
) -> Result<()> {
    let mut ids: Vec<i64> = in_file.keys().copied().collect();
    ids.sort_unstable();
    // Each stored household's mark, toilet count and first toilet (a household this import
    // created has no mark and only the toilets of its rows): as read with everything stored
    // (a re-import), else on the server one statement for them all (a round trip a household
    // would be the slow part of a re-import) and on the file an index lookup each.
    const FACTS: &str = "SELECT h.id, h.no_toilet,
                (SELECT count(*) FROM toilets t WHERE t.household_id = h.id),
                (SELECT t.id FROM toilets t WHERE t.household_id = h.id ORDER BY t.seq LIMIT 1)
         FROM households h WHERE ";
    type Facts = (bool, i64, Option<i64>);
    let mut known: FastMap<i64, Facts> = FastMap::default();
    let mut unknown: Vec<i64> = Vec::new();
    for &id in ids.iter().filter(|id| !in_file[id].new) {
        match stored.facts(id) {
            Some(facts) => {
                known.insert(id, facts);
            }
            None => unknown.push(id),
        }
    }
    if let (Db::Server(_), false) = (tx, unknown.is_empty()) {
        let json = serde_json::to_string(&unknown).expect("ids serialise");
        tx.for_each(
            &format!("{FACTS}h.id IN ({})", sql::json_ids(tx.engine(), "?1")),
            [json],
            |r| {
                known.insert(r.get(0)?, (r.get(1)?, r.get(2)?, r.get(3)?));
                Ok(())
            },
        )?;
    }
    // The households whose mark changes, by their new mark: one statement each at the end.
    let mut marked: [Vec<i64>; 2] = [Vec::new(), Vec::new()];
    for id in ids {
        let h = in_file.get_mut(&id).expect("listed above");
        let (was, toilets, first) = match known.remove(&id) {
            Some(facts) => facts,
            None if h.new => (false, h.toilet_rows, None),
            None => tx.query_row(&format!("{FACTS}h.id = ?1"), [id], |r| {
                Ok((r.get(1)?, r.get(2)?, r.get(3)?))
            })?,
        };
        let now = match h.no_toilet_row {
            Some(_) => toilets == 0,
            None if h.toilet_rows > 0 || toilets > 0 => false,
            None => was,
        };
        if let (Some(row), Some(toilet)) = (h.no_toilet_row, first.filter(|_| h.toilet_rows == 0)) {
            let flag = RowFlag {
                row,
                column: "技术模式".into(),
                field: Field::TechMode,
                written: TechMode::NoToilet.label().into(),
                message: format!(
                    "台账写“无厕所”，但本户已有 {toilets} 个户厕：请核实厕所是否已拆除"
                ),
            };
            let origin = Origin {
                batch_id,
                row,
                now: &opts.now,
            };
            record(tx, open, id, Some(toilet), &flag, &origin)?;
            recorded.push(flag);
        }
        if now == was {
            continue;
        }
        marked[usize::from(now)].push(id);
        if !h.new {
            h.changed = true;
            log.add(rusqlite::params![
                opts.now,
                opts.actor,
                "household",
                id,
                "无厕所户",
                if was { "是" } else { "否" },
                if now { "是" } else { "否" },
                source,
                batch_id
            ])?;
        }
    }
    for (mark, ids) in marked.iter().enumerate() {
        if ids.is_empty() {
            continue;
        }
        let json = serde_json::to_string(ids).expect("ids serialise");
        tx.execute(
            &format!(
                "UPDATE households SET no_toilet = ?1, updated_at = ?2 WHERE id IN ({})",
                sql::json_ids(tx.engine(), "?3")
            ),
            rusqlite::params![mark as i64, opts.now, json],
        )?;
    }
    Ok(())
}

/// Settles the open 待核实 entries of a household (or its toilet) whose fields this row gives
/// a value that can be taken; returns each settled column with what was written before.
fn settle(
    tx: Db<'_>,
    open: &mut OpenChecks,
    household_id: i64,
    toilet_id: Option<i64>,
    fields: impl FnOnce() -> Vec<FieldValue>,
    flags: &[RowFlag],
    opts: &ImportOptions,
) -> Result<Vec<(&'static str, String)>> {
    let mut settled = Vec::new();
    // Most households have no open entry: nothing is built for them.
    if !open.any_for(household_id) {
        return Ok(settled);
    }
    for f in fields() {
        if flags.iter().any(|g| g.field.column() == Some(f.column)) {
            continue;
        }
        if let Some(written) = open.resolve(
            tx,
            household_id,
            toilet_id,
            f.column,
            &f.display,
            &opts.actor,
            &opts.now,
        )? {
            settled.push((f.column, written));
        }
    }
    Ok(settled)
}

/// Records one 待核实 value of a row.
fn record(
    tx: Db<'_>,
    open: &mut OpenChecks,
    household_id: i64,
    toilet_id: Option<i64>,
    flag: &RowFlag,
    origin: &Origin,
) -> Result<()> {
    let column = flag
        .field
        .column()
        .expect("only household and toilet fields are flagged");
    open.record(
        tx,
        household_id,
        toilet_id,
        column,
        &flag.written,
        &flag.message,
        origin,
    )
}

/// On the server, the planner's picture of the tables an import fills, kept up as they grow.
/// A town's database pushed or set up empty has statistics saying its tables are empty, and
/// the plans the server keeps for the rest of the session (the foreign-key checks of every
/// insert among them) are made for that: a full scan, nothing to scan. Filled in one
/// transaction, each insert would then scan every household written before it. So whenever the
/// households have doubled since the statistics were taken, those of the tables the inserts'
/// foreign keys look up (社, households, toilets) are taken again (ANALYZE sees the
/// transaction's own rows), and the kept plans are made anew for the size they are. The other
/// tables the import fills (search keys, 待核实, change log) are looked at once, at the end,
/// for whoever searches them next.
struct Growth {
    /// Households when the statistics were last taken (or at the start).
    counted: usize,
    added: usize,
    /// Whether the town grew enough to take statistics at all.
    analyzed: bool,
}

/// Below this many new households a full scan costs nothing worth a round of statistics.
const GROWTH_FIRST: usize = 1000;

impl Growth {
    fn new(households: usize) -> Growth {
        Growth {
            counted: households,
            added: 0,
            analyzed: false,
        }
    }

    /// The statistics of the other tables the import filled, when it grew the town.
    fn finish(self, db: Db<'_>) -> Result<()> {
        if self.analyzed {
            db.execute_batch("ANALYZE household_search, pending_checks, change_log")?;
        }
        Ok(())
    }

    fn household_added(&mut self, db: Db<'_>, bulk: &mut Bulk) -> Result<()> {
        self.added += 1;
        if db.engine() == sql::Engine::Server && self.added >= self.counted.max(GROWTH_FIRST) {
            bulk.flush(db)?;
            db.execute_batch("ANALYZE village_groups (id), households (id), toilets (id)")?;
            self.analyzed = true;
            self.counted += self.added;
            self.added = 0;
        }
        Ok(())
    }
}
