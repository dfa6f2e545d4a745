//! The schema and its migrations.
//!
//! The schema is built only by the ordered migrations below, tracked in `PRAGMA user_version`.
//! Migrations are only ever added, never edited: a database written by any earlier version
//! upgrades step by step, and a database from a newer program is refused.

use rusqlite::{Connection, Transaction};

use crate::error::{Error, Result};
use crate::search_keys;

/// One schema step.
pub struct Migration {
    pub version: i64,
    pub description: &'static str,
    step: Step,
}

enum Step {
    Sql(&'static str),
    /// SQL followed by a data step written in Rust (e.g. computing pinyin keys).
    SqlThen(&'static str, fn(&Transaction) -> rusqlite::Result<()>),
}

/// Version 1: places, households, toilets with their baseline fields, settings.
const V1_BASE: &str = r#"
CREATE TABLE settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) STRICT;

CREATE TABLE villages (
    id         INTEGER PRIMARY KEY,
    name       TEXT NOT NULL UNIQUE,
    sort_order INTEGER NOT NULL DEFAULT 0
) STRICT;

-- 社 (村民小组). `number` is the 社's number when it has one ("3社" → 3), used for sorting and
-- for matching the many spellings of the same 社 (三社, 3组, 第三村民小组).
CREATE TABLE village_groups (
    id         INTEGER PRIMARY KEY,
    village_id INTEGER NOT NULL REFERENCES villages(id),
    name       TEXT NOT NULL,
    number     INTEGER,
    sort_order INTEGER NOT NULL DEFAULT 0,
    UNIQUE (village_id, name),
    UNIQUE (id, village_id)
) STRICT;

-- CHECK lists are written as OR chains, not IN (...): an IN list in a CHECK builds a temporary
-- index for every inserted row, which made bulk inserts several times slower.
-- 农户. village_id repeats the group's village (enforced by the composite foreign key) so that
-- a village's households are one index range.
CREATE TABLE households (
    id             INTEGER PRIMARY KEY,
    village_id     INTEGER NOT NULL,
    group_id       INTEGER NOT NULL,
    head_name      TEXT NOT NULL CHECK (length(trim(head_name)) > 0),
    id_number      TEXT CHECK (id_number IS NULL OR length(id_number) = 18),
    phone          TEXT,
    address        TEXT,
    registered_pop INTEGER CHECK (registered_pop IS NULL OR registered_pop >= 0),
    resident_pop   INTEGER CHECK (resident_pop IS NULL OR resident_pop >= 0),
    category       TEXT NOT NULL DEFAULT 'ordinary'
                   CHECK (category = 'poverty_alleviated' OR category = 'monitored' OR category = 'ordinary'),
    is_resident    INTEGER NOT NULL DEFAULT 1 CHECK ((is_resident = 0 OR is_resident = 1)),
    created_at     TEXT NOT NULL,
    updated_at     TEXT NOT NULL,
    FOREIGN KEY (group_id, village_id) REFERENCES village_groups(id, village_id)
) STRICT;
CREATE UNIQUE INDEX households_id_number ON households(id_number) WHERE id_number IS NOT NULL;
CREATE INDEX households_by_village ON households(village_id, group_id, id);
CREATE INDEX households_by_group ON households(group_id, id);

-- 户厕 with the baseline fields (台账底数). NULL means "not recorded".
CREATE TABLE toilets (
    id                 INTEGER PRIMARY KEY,
    household_id       INTEGER NOT NULL REFERENCES households(id),
    seq                INTEGER NOT NULL CHECK (seq >= 1),
    tech_mode          TEXT CHECK (tech_mode = 'three_compartment' OR tech_mode = 'double_urn' OR tech_mode = 'three_urn' OR tech_mode = 'sewer' OR tech_mode = 'urine_diversion' OR tech_mode = 'double_pit' OR tech_mode = 'biogas' OR tech_mode = 'central_collection' OR tech_mode = 'other_sanitary' OR tech_mode = 'non_sanitary' OR tech_mode = 'no_toilet'),
    location           TEXT CHECK ((location = 'indoor' OR location = 'yard' OR location = 'outside')),
    build_year         INTEGER CHECK (build_year BETWEEN 1949 AND 2100),
    subsidized         INTEGER CHECK ((subsidized = 0 OR subsidized = 1)),
    subsidy_year       INTEGER CHECK (subsidy_year BETWEEN 1949 AND 2100),
    subsidy_amount_fen INTEGER CHECK (subsidy_amount_fen >= 0),
    project_name       TEXT,
    is_sanitary        INTEGER CHECK ((is_sanitary = 0 OR is_sanitary = 1)),
    use_status         TEXT CHECK ((use_status = 'in_use' OR use_status = 'idle' OR use_status = 'unusable' OR use_status = 'demolished')),
    baseline_source    TEXT NOT NULL CHECK ((baseline_source = 'survey' OR baseline_source = 'subsidy' OR baseline_source = 'field')),
    created_at         TEXT NOT NULL,
    updated_at         TEXT NOT NULL,
    UNIQUE (household_id, seq)
) STRICT;
"#;

/// Version 2: search keys (name n-grams, pinyin initials) and the reversed ID number for
/// "last digits" search, both answered by index ranges.
const V2_SEARCH: &str = r#"
CREATE TABLE household_search (
    term         TEXT NOT NULL,
    household_id INTEGER NOT NULL REFERENCES households(id) ON DELETE CASCADE,
    PRIMARY KEY (term, household_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX household_search_by_household ON household_search(household_id);

ALTER TABLE households ADD COLUMN id_number_rev TEXT;
UPDATE households SET id_number_rev = reverse_text(id_number) WHERE id_number IS NOT NULL;
CREATE INDEX households_by_id_rev ON households(id_number_rev) WHERE id_number_rev IS NOT NULL;
"#;

fn v2_backfill(tx: &Transaction) -> rusqlite::Result<()> {
    let mut read = tx.prepare("SELECT id, head_name FROM households")?;
    let rows = read
        .query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?)))?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    let mut write = tx.prepare(
        "INSERT INTO household_search (term, household_id) VALUES (?1, ?2) ON CONFLICT DO NOTHING",
    )?;
    for (id, name) in rows {
        for key in search_keys::household_keys(&name) {
            write.execute(rusqlite::params![key, id])?;
        }
    }
    Ok(())
}

/// Version 3: the history of every field change (old → new, who, when, why) and the record of
/// each import, so a corrected baseline never loses what it said before.
const V3_CHANGES: &str = r#"
CREATE TABLE import_batches (
    id            INTEGER PRIMARY KEY,
    at            TEXT NOT NULL,
    actor         TEXT NOT NULL,
    file_name     TEXT NOT NULL,
    sheet_name    TEXT NOT NULL,
    rows_total    INTEGER NOT NULL,
    rows_rejected INTEGER NOT NULL,
    households_new     INTEGER NOT NULL,
    households_updated INTEGER NOT NULL,
    toilets_new        INTEGER NOT NULL,
    toilets_updated    INTEGER NOT NULL,
    backup_path   TEXT
) STRICT;

CREATE TABLE change_log (
    id         INTEGER PRIMARY KEY,
    at         TEXT NOT NULL,
    actor      TEXT NOT NULL,
    entity     TEXT NOT NULL CHECK ((entity = 'household' OR entity = 'toilet')),
    entity_id  INTEGER NOT NULL,
    field      TEXT NOT NULL,
    old_value  TEXT,
    new_value  TEXT,
    source     TEXT NOT NULL,
    import_batch_id INTEGER REFERENCES import_batches(id)
) STRICT;
CREATE INDEX change_log_by_entity ON change_log(entity, entity_id, id);
"#;

/// The problem-item list (问题口径) version 4 writes into a file; a new server database gets the
/// same rows (see [`NEW_DATABASE_ROWS`]).
macro_rules! problem_items_seed {
    () => {
        r#"
INSERT INTO problem_items (part, name, stops_use, sort_order) VALUES
    ('house', '无厕屋或厕屋倒塌', 1, 10),
    ('house', '厕屋破损、漏雨', 0, 20),
    ('house', '无门或门损坏', 0, 30),
    ('house', '通风、采光差', 0, 40),
    ('house', '厨卫不分', 0, 50),
    ('house', '隔断未到顶', 0, 60),
    ('pan', '便器破损', 1, 70),
    ('pan', '便器堵塞', 1, 80),
    ('pan', '无冲水设施或冲水设施损坏', 1, 90),
    ('pan', '便器不防臭、无存水弯', 0, 100),
    ('pan', '压力桶出水少或不出水', 1, 110),
    ('pan', '冲水配件发放未安装', 1, 120),
    ('tank', '渗漏', 1, 130),
    ('tank', '池体破损、塌陷', 1, 140),
    ('tank', '池盖缺失或破损', 0, 150),
    ('tank', '容积不足、格数不符', 1, 160),
    ('tank', '未密闭、溢流', 1, 170),
    ('tank', '过粪管装反', 1, 180),
    ('tank', '串水', 1, 190),
    ('tank', '盖板未分割', 0, 200),
    ('tank', '排气管高度不够', 0, 210),
    ('pipe', '进粪管堵塞', 1, 220),
    ('pipe', '管道破损、渗漏', 1, 230),
    ('pipe', '冬季冻裂', 1, 240),
    ('pipe', '过粪管安装不规范', 0, 250),
    ('emptying', '清掏不及时、无清掏服务', 0, 260),
    ('emptying', '粪污直排、未资源化利用', 0, 270),
    ('emptying', '抽污车无法进入', 0, 280),
    ('emptying', '返味', 0, 290),
    ('usage', '建而未用', 1, 300),
    ('usage', '已弃用', 1, 310),
    ('usage', '缺水无法冲厕', 1, 320),
    ('usage', '冬季无法使用', 1, 330),
    ('usage', '远离庭院、不便使用', 0, 340),
    ('usage', '旧厕未拆除', 0, 350);
"#
    };
}

/// What the migrations write into a new file besides its tables, for a new server database
/// (which starts at the current version): the problem-item list (问题口径) of version 4, as
/// version 10 leaves it. A migration that adds or changes such rows adds its statement here.
pub const NEW_DATABASE_ROWS: [&str; 2] = [problem_items_seed!(), V10_CLIMATE];

/// Version 4: the field work — staff, the problem-item list (问题口径), inspections with their
/// groups, problems and photos, and the problem ledger (问题厕所台账) with every state move.
/// Nothing here is ever deleted: inspections are added, cases move and reopen.
const V4_FIELD_WORK: &str = concat!(
    r#"
-- 工作人员: inspection groups, operators, verifiers and responsible people are picked from here.
CREATE TABLE staff (
    id         INTEGER PRIMARY KEY,
    name       TEXT NOT NULL CHECK (length(trim(name)) > 0),
    unit       TEXT NOT NULL DEFAULT '',
    phone      TEXT,
    roles      TEXT NOT NULL DEFAULT '',
    active     INTEGER NOT NULL DEFAULT 1 CHECK ((active = 0 OR active = 1)),
    created_at TEXT NOT NULL,
    UNIQUE (name, unit)
) STRICT;

-- 问题口径: editable by an administrator; a retired item stays on old records.
CREATE TABLE problem_items (
    id         INTEGER PRIMARY KEY,
    part       TEXT NOT NULL CHECK (part = 'house' OR part = 'pan' OR part = 'tank' OR part = 'pipe' OR part = 'emptying' OR part = 'usage'),
    name       TEXT NOT NULL CHECK (length(trim(name)) > 0),
    stops_use  INTEGER NOT NULL CHECK ((stops_use = 0 OR stops_use = 1)),
    sort_order INTEGER NOT NULL,
    retired    INTEGER NOT NULL DEFAULT 0 CHECK ((retired = 0 OR retired = 1)),
    UNIQUE (part, name)
) STRICT;

-- 入户核查 of one toilet.
CREATE TABLE inspections (
    id                INTEGER PRIMARY KEY,
    toilet_id         INTEGER NOT NULL REFERENCES toilets(id),
    kind              TEXT NOT NULL CHECK (kind = 'village_self' OR kind = 'town_recheck' OR kind = 'district_spot'),
    inspected_on      TEXT NOT NULL CHECK (inspected_on GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]'),
    household_status  TEXT NOT NULL CHECK (household_status = 'normal' OR household_status = 'vacant' OR household_status = 'moved_out' OR household_status = 'demolished' OR household_status = 'other'),
    status_note       TEXT,
    in_normal_use     INTEGER CHECK ((in_normal_use = 0 OR in_normal_use = 1)),
    has_problems      INTEGER NOT NULL CHECK ((has_problems = 0 OR has_problems = 1)),
    remarks           TEXT,
    proposed_category TEXT,
    proposal_reason   TEXT NOT NULL,
    recorded_by       INTEGER NOT NULL REFERENCES staff(id),
    recorded_at       TEXT NOT NULL
) STRICT;
CREATE INDEX inspections_by_toilet ON inspections(toilet_id, id);

CREATE TABLE inspection_members (
    inspection_id INTEGER NOT NULL REFERENCES inspections(id),
    staff_id      INTEGER NOT NULL REFERENCES staff(id),
    PRIMARY KEY (inspection_id, staff_id)
) STRICT, WITHOUT ROWID;

CREATE TABLE inspection_problems (
    id            INTEGER PRIMARY KEY,
    inspection_id INTEGER NOT NULL REFERENCES inspections(id),
    item_id       INTEGER NOT NULL REFERENCES problem_items(id),
    stops_use     INTEGER NOT NULL CHECK ((stops_use = 0 OR stops_use = 1)),
    cause         TEXT CHECK (cause = 'construction' OR cause = 'product_quality' OR cause = 'unsuitable_mode' OR cause = 'other'),
    remarks       TEXT,
    UNIQUE (inspection_id, item_id)
) STRICT;

-- Photos are copied into the data folder and named by their SHA-256; the original path is not kept.
CREATE TABLE photos (
    hash          TEXT PRIMARY KEY,
    file_name     TEXT NOT NULL,
    original_name TEXT NOT NULL,
    bytes         INTEGER NOT NULL,
    added_at      TEXT NOT NULL
) STRICT, WITHOUT ROWID;

CREATE TABLE inspection_photos (
    inspection_id INTEGER NOT NULL REFERENCES inspections(id),
    hash          TEXT NOT NULL REFERENCES photos(hash),
    PRIMARY KEY (inspection_id, hash)
) STRICT, WITHOUT ROWID;

-- 问题厕所台账: one case per inspection that found problems (while the toilet has no open case).
CREATE TABLE rectifications (
    id                INTEGER PRIMARY KEY,
    toilet_id         INTEGER NOT NULL REFERENCES toilets(id),
    household_id      INTEGER NOT NULL REFERENCES households(id),
    -- The household's place, repeated so a village's ledger and counts are one index range;
    -- kept in step by the trigger below when a household moves to another 社.
    village_id        INTEGER NOT NULL,
    group_id          INTEGER NOT NULL,
    inspection_id     INTEGER NOT NULL UNIQUE REFERENCES inspections(id),
    proposed_category TEXT CHECK (proposed_category = 'immediate_fix' OR proposed_category = 'plan_district' OR proposed_category = 'plan_town_funded'),
    proposal_reason   TEXT NOT NULL,
    category          TEXT CHECK (category = 'immediate_fix' OR category = 'plan_district' OR category = 'plan_town_funded'),
    override_reason   TEXT,
    confirmed_by      INTEGER REFERENCES staff(id),
    confirmed_at      TEXT,
    measures          TEXT,
    responsible       TEXT,
    planned_month     TEXT CHECK (planned_month GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]'),
    funding           TEXT,
    state             TEXT NOT NULL CHECK (state = 'pending' OR state = 'in_progress' OR state = 'awaiting_acceptance' OR state = 'closed'),
    state_since       TEXT NOT NULL,
    created_at        TEXT NOT NULL
) STRICT;
CREATE INDEX rectifications_by_household ON rectifications(household_id);
CREATE INDEX rectifications_by_place ON rectifications(village_id, group_id, state, planned_month);
CREATE TRIGGER rectifications_follow_household AFTER UPDATE OF group_id ON households
BEGIN
    UPDATE rectifications SET village_id = NEW.village_id, group_id = NEW.group_id
    WHERE household_id = NEW.id;
END;
CREATE INDEX rectifications_by_toilet ON rectifications(toilet_id);

-- Every move of a case, dated and signed; the case row holds only the current state.
CREATE TABLE rectification_events (
    id               INTEGER PRIMARY KEY,
    rectification_id INTEGER NOT NULL REFERENCES rectifications(id),
    kind             TEXT NOT NULL CHECK (kind = 'opened' OR kind = 'category' OR kind = 'plan' OR kind = 'move' OR kind = 'reopen'),
    from_state       TEXT,
    to_state         TEXT,
    actor_id         INTEGER NOT NULL REFERENCES staff(id),
    happened_on      TEXT NOT NULL,
    recorded_at      TEXT NOT NULL,
    remark           TEXT,
    verifier_id      INTEGER REFERENCES staff(id),
    photo_hash       TEXT REFERENCES photos(hash)
) STRICT;
CREATE INDEX rectification_events_by_case ON rectification_events(rectification_id, id);
"#,
    problem_items_seed!()
);

/// Version 5: district spot-check samples (区级抽查), each kept with its seed and method so it can
/// be reproduced and shown to the district.
const V5_SAMPLES: &str = r#"
CREATE TABLE spot_samples (
    id          INTEGER PRIMARY KEY,
    created_at  TEXT NOT NULL,
    created_by  TEXT NOT NULL,
    seed        INTEGER NOT NULL,
    method      TEXT NOT NULL,
    params      TEXT NOT NULL,
    population  INTEGER NOT NULL,
    size        INTEGER NOT NULL
) STRICT;

CREATE TABLE spot_sample_items (
    sample_id  INTEGER NOT NULL REFERENCES spot_samples(id),
    seq        INTEGER NOT NULL,
    toilet_id  INTEGER NOT NULL REFERENCES toilets(id),
    village_id INTEGER NOT NULL,
    is_problem INTEGER NOT NULL CHECK ((is_problem = 0 OR is_problem = 1)),
    PRIMARY KEY (sample_id, seq)
) STRICT, WITHOUT ROWID;
"#;

/// Version 6: accountability — local accounts with roles, and the hash-chained audit log.
const V6_ACCOUNTABILITY: &str = r#"
CREATE TABLE accounts (
    id              INTEGER PRIMARY KEY,
    username        TEXT NOT NULL UNIQUE COLLATE NOCASE CHECK (length(trim(username)) > 0),
    display_name    TEXT NOT NULL CHECK (length(trim(display_name)) > 0),
    role            TEXT NOT NULL CHECK (role = 'admin' OR role = 'entry' OR role = 'reviewer' OR role = 'leader' OR role = 'supervisor'),
    staff_id        INTEGER REFERENCES staff(id),
    password_hash   TEXT NOT NULL,
    failed_attempts INTEGER NOT NULL DEFAULT 0,
    locked_until    TEXT,
    active          INTEGER NOT NULL DEFAULT 1 CHECK ((active = 0 OR active = 1)),
    created_at      TEXT NOT NULL
) STRICT;

-- Append-only. Each entry's hash covers the previous entry's hash and its own content, so an
-- entry edited, deleted or moved outside the app breaks the chain at that point.
CREATE TABLE audit_log (
    id        INTEGER PRIMARY KEY,
    at        TEXT NOT NULL,
    actor     TEXT NOT NULL,
    action    TEXT NOT NULL,
    entity    TEXT NOT NULL,
    entity_id TEXT NOT NULL,
    summary   TEXT NOT NULL,
    detail    TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash      TEXT NOT NULL
) STRICT;
CREATE INDEX audit_log_by_entity ON audit_log(entity, entity_id, id);
CREATE INDEX audit_log_by_actor ON audit_log(actor, id);
"#;

/// Version 7: 签字背书 in the app — 审核人 and 负责人 sign an inspection result in order; a
/// reviewed result is locked until a reviewer unlocks it with a reason (the signatures are
/// cleared, never deleted).
const V7_SIGNOFFS: &str = r#"
CREATE TABLE signoffs (
    id             INTEGER PRIMARY KEY,
    inspection_id  INTEGER NOT NULL REFERENCES inspections(id),
    step           TEXT NOT NULL CHECK (step = 'review' OR step = 'responsible'),
    account_id     INTEGER NOT NULL REFERENCES accounts(id),
    signer         TEXT NOT NULL,
    signed_at      TEXT NOT NULL,
    cleared_at     TEXT,
    cleared_by     TEXT,
    cleared_reason TEXT
) STRICT;
CREATE INDEX signoffs_by_inspection ON signoffs(inspection_id, step);
CREATE UNIQUE INDEX signoffs_active ON signoffs(inspection_id, step) WHERE cleared_at IS NULL;
"#;

/// Version 8: accountability that holds under misuse. The login account that keyed in each
/// inspection and each step of a case (谁排查、谁审核 are checked against accounts, not only
/// against the staff names a form sends); a password set by an administrator that must be
/// changed at the next login; the encoding of each audit entry's hash (1: fields joined by 0x1F,
/// 2: length-prefixed); whether a spot-check sample's seed was drawn by the program; and the
/// file's identity: SQLite's application id, so a restore can tell this program's files, and a
/// random database id (settings) that its backups share, so the audit log's anchors are its own.
const V8_SAFETY: &str = r#"
ALTER TABLE inspections ADD COLUMN account_id INTEGER REFERENCES accounts(id);
ALTER TABLE rectification_events ADD COLUMN account_id INTEGER REFERENCES accounts(id);
ALTER TABLE accounts ADD COLUMN must_change_password INTEGER NOT NULL DEFAULT 0
    CHECK ((must_change_password = 0 OR must_change_password = 1));
ALTER TABLE audit_log ADD COLUMN format INTEGER NOT NULL DEFAULT 1 CHECK ((format = 1 OR format = 2));
ALTER TABLE spot_samples ADD COLUMN seed_drawn INTEGER NOT NULL DEFAULT 0
    CHECK ((seed_drawn = 0 OR seed_drawn = 1));
PRAGMA application_id = 1213547333;
"#;

/// Version 8's data: the database's random identity.
fn v8_identity(tx: &Transaction) -> rusqlite::Result<()> {
    tx.execute(
        "INSERT INTO settings (key, value) VALUES (?1, ?2) ON CONFLICT DO NOTHING",
        [
            crate::store::settings::KEY_DATABASE_ID,
            crate::store::settings::new_database_id().as_str(),
        ],
    )?;
    Ok(())
}

/// Version 9: 待核实. A ledger row that names a household is imported even when a field of it
/// is wrong or not understood (a wrong ID checksum, a year like 2031, a word outside the
/// vocabulary): the field stays empty and the value as written waits here, with the reason,
/// until a person corrects it (in the app or by importing a corrected ledger) or confirms that
/// it stays empty. A questionable ID number lives only here, apart from the checked numbers: it
/// cannot collide with another household's and is never used for matching. Also: 其他 becomes a
/// value of 技术模式 and 厕所位置 (see [`v9_other_values`]).
const V9_PENDING: &str = r#"
CREATE TABLE pending_checks (
    id              INTEGER PRIMARY KEY,
    household_id    INTEGER NOT NULL REFERENCES households(id),
    toilet_id       INTEGER REFERENCES toilets(id),
    field           TEXT NOT NULL,
    written         TEXT NOT NULL,
    reason          TEXT NOT NULL,
    import_batch_id INTEGER REFERENCES import_batches(id),
    source_row      INTEGER,
    created_at      TEXT NOT NULL,
    resolved_at     TEXT,
    resolved_by     TEXT,
    resolution      TEXT CHECK (resolution IS NULL OR resolution = 'corrected' OR resolution = 'reimported' OR resolution = 'left_empty' OR resolution = 'superseded'),
    new_value       TEXT,
    CHECK ((resolved_at IS NULL) = (resolution IS NULL))
) STRICT;
CREATE INDEX pending_checks_open ON pending_checks(household_id, toilet_id, field) WHERE resolved_at IS NULL;
CREATE INDEX pending_checks_open_toilet ON pending_checks(toilet_id) WHERE resolved_at IS NULL;
-- A field filled another way (an inspection's correction to the baseline) settles its entry.
CREATE TRIGGER pending_settled_by_toilets AFTER UPDATE ON toilets
WHEN EXISTS (SELECT 1 FROM pending_checks WHERE toilet_id = NEW.id AND resolved_at IS NULL)
BEGIN
    UPDATE pending_checks SET resolved_at = NEW.updated_at, resolution = 'superseded'
    WHERE toilet_id = NEW.id AND resolved_at IS NULL
      AND ((field = 'tech_mode' AND NEW.tech_mode IS NOT OLD.tech_mode)
          OR (field = 'location' AND NEW.location IS NOT OLD.location)
          OR (field = 'build_year' AND NEW.build_year IS NOT OLD.build_year)
          OR (field = 'subsidized' AND NEW.subsidized IS NOT OLD.subsidized)
          OR (field = 'subsidy_year' AND NEW.subsidy_year IS NOT OLD.subsidy_year)
          OR (field = 'subsidy_amount_fen' AND NEW.subsidy_amount_fen IS NOT OLD.subsidy_amount_fen)
          OR (field = 'project_name' AND NEW.project_name IS NOT OLD.project_name)
          OR (field = 'is_sanitary' AND NEW.is_sanitary IS NOT OLD.is_sanitary)
          OR (field = 'use_status' AND NEW.use_status IS NOT OLD.use_status));
END;
CREATE TRIGGER pending_settled_by_households AFTER UPDATE ON households
WHEN EXISTS (SELECT 1 FROM pending_checks WHERE household_id = NEW.id AND toilet_id IS NULL AND resolved_at IS NULL)
BEGIN
    UPDATE pending_checks SET resolved_at = NEW.updated_at, resolution = 'superseded'
    WHERE household_id = NEW.id AND toilet_id IS NULL AND resolved_at IS NULL
      AND ((field = 'id_number' AND NEW.id_number IS NOT OLD.id_number)
          OR (field = 'phone' AND NEW.phone IS NOT OLD.phone)
          OR (field = 'address' AND NEW.address IS NOT OLD.address)
          OR (field = 'registered_pop' AND NEW.registered_pop IS NOT OLD.registered_pop)
          OR (field = 'resident_pop' AND NEW.resident_pop IS NOT OLD.resident_pop)
          OR (field = 'category' AND NEW.category IS NOT OLD.category)
          OR (field = 'is_resident' AND NEW.is_resident IS NOT OLD.is_resident));
END;
ALTER TABLE import_batches ADD COLUMN rows_flagged INTEGER NOT NULL DEFAULT 0;
"#;

/// Version 9's change of the toilets table: its CHECK lists gain 'other'. Widening a CHECK
/// leaves every stored row valid, so the table's definition is edited in place (SQLite's
/// documented procedure for changes that do not touch stored content) instead of copying the
/// table that inspections, cases and samples refer to.
fn v9_other_values(tx: &Transaction) -> rusqlite::Result<()> {
    widen_checks(
        tx,
        "toilets",
        "户厕表",
        "加入“其他”",
        &[
            (
                "OR tech_mode = 'non_sanitary'",
                "OR tech_mode = 'other' OR tech_mode = 'non_sanitary'",
            ),
            (
                "OR location = 'outside'))",
                "OR location = 'outside' OR location = 'other'))",
            ),
        ],
    )
}

/// Widens CHECK lists of `table` by editing its definition in place: each `(from, to)` must
/// occur exactly once. Then `quick_check`; any failure rolls the migration back.
fn widen_checks(
    tx: &Transaction,
    table: &str,
    table_label: &str,
    what: &str,
    edits: &[(&str, &str)],
) -> rusqlite::Result<()> {
    let refuse = |code, msg: String| {
        rusqlite::Error::SqliteFailure(rusqlite::ffi::Error::new(code), Some(msg))
    };
    let sql: String = tx.query_row(
        "SELECT sql FROM sqlite_schema WHERE type = 'table' AND name = ?1",
        [table],
        |r| r.get(0),
    )?;
    let mut new_sql = sql.clone();
    for (from, to) in edits {
        if new_sql.matches(from).count() != 1 {
            return Err(refuse(
                rusqlite::ffi::SQLITE_ERROR,
                format!("{table_label}的定义与预期不同，无法{what}（找不到 {from}）"),
            ));
        }
        new_sql = new_sql.replace(from, to);
    }
    let version: i64 = tx.query_row("PRAGMA schema_version", [], |r| r.get(0))?;
    tx.pragma_update(None, "writable_schema", true)?;
    let edited = tx
        .execute(
            "UPDATE sqlite_schema SET sql = ?1 WHERE type = 'table' AND name = ?2",
            [&new_sql, table],
        )
        .and_then(|_| tx.pragma_update(None, "schema_version", version + 1));
    // Off whatever happened: the connection goes on being used.
    let off = tx.pragma_update(None, "writable_schema", false);
    edited?;
    off?;
    // The documented procedure ends with a check; a failure rolls the migration back.
    let check: String = tx.query_row("PRAGMA quick_check", [], |r| r.get(0))?;
    if check != "ok" {
        return Err(refuse(
            rusqlite::ffi::SQLITE_CORRUPT,
            format!("{what}后数据库检查未通过：{check}"),
        ));
    }
    Ok(())
}

/// Version 10: the 问题口径 fit 铜梁's climate. Its winters do not freeze, so the frost items
/// (冬季冻裂, 冬季无法使用) start retired: off the check sheet and the form, still on old records,
/// and an administrator can bring them back.
const V10_CLIMATE: &str = r#"
UPDATE problem_items SET retired = 1
WHERE (part = 'pipe' AND name = '冬季冻裂') OR (part = 'usage' AND name = '冬季无法使用');
"#;

/// Version 11: the paper trail of a case, the case following the latest check, and 报区人居办
/// 研究解决. The 告知单
/// register (number, printed, handed out by whom, 回执 back with its scan), the 验收单's 户主确认
/// (or why not) and its scan, the later check that found the problem gone, and the case
/// history's new steps: a later inspection (复核/抽查) that updates the case, a delivery and a
/// returned 回执.
const V11_PAPER: &str = r#"
CREATE TABLE notices (
    rectification_id INTEGER PRIMARY KEY REFERENCES rectifications(id),
    number           TEXT NOT NULL UNIQUE,
    category         TEXT NOT NULL CHECK (category = 'plan_district' OR category = 'plan_town_funded'),
    first_printed_at TEXT NOT NULL,
    last_printed_at  TEXT NOT NULL,
    times_printed    INTEGER NOT NULL CHECK (times_printed > 0),
    printed_by       INTEGER REFERENCES accounts(id),
    delivered_on     TEXT,
    delivered_by     INTEGER REFERENCES staff(id),
    receipt_on       TEXT,
    receipt_scan     TEXT REFERENCES photos(hash),
    CHECK ((delivered_on IS NULL) = (delivered_by IS NULL)),
    CHECK (receipt_on IS NULL OR delivered_on IS NOT NULL),
    CHECK (receipt_scan IS NULL OR receipt_on IS NOT NULL)
) STRICT;
ALTER TABLE rectifications ADD COLUMN head_confirmed INTEGER CHECK (head_confirmed = 0 OR head_confirmed = 1);
ALTER TABLE rectifications ADD COLUMN unconfirmed_reason TEXT;
ALTER TABLE rectifications ADD COLUMN acceptance_scan TEXT REFERENCES photos(hash);
-- A later check (复核, 抽查) that found the problem gone: acceptance is proposed, not done.
ALTER TABLE rectifications ADD COLUMN clear_inspection_id INTEGER REFERENCES inspections(id);
-- The day the problem was found. `inspection_id` now follows the latest check, so the case's
-- first day is kept here (progress as of a date, overdue 立行立改).
ALTER TABLE rectifications ADD COLUMN opened_on TEXT;
UPDATE rectifications SET opened_on = (SELECT inspected_on FROM inspections WHERE id = rectifications.inspection_id);
-- 报区人居办研究解决: what the town cannot fix itself, with why; and the district's answer.
ALTER TABLE rectifications ADD COLUMN escalated_on TEXT;
ALTER TABLE rectifications ADD COLUMN escalation_reason TEXT;
ALTER TABLE rectifications ADD COLUMN escalation_reply TEXT;
ALTER TABLE rectifications ADD COLUMN replied_on TEXT;
CREATE INDEX rectifications_escalated ON rectifications(escalated_on) WHERE escalated_on IS NOT NULL;
"#;

fn v11_event_kinds(tx: &Transaction) -> rusqlite::Result<()> {
    widen_checks(
        tx,
        "rectification_events",
        "整改记录表",
        "加入复核、送达、回执和报区研究",
        &[(
            "OR kind = 'reopen')",
            "OR kind = 'reopen' OR kind = 'recheck' OR kind = 'delivered' OR kind = 'receipt' OR kind = 'escalated' OR kind = 'reply')",
        )],
    )
}

/// Version 12: a household without a toilet (无厕所户) is a fact about the household, not a
/// toilet row counted in 户厕数 and the 排查率. A household whose only toilet rows say "无厕所"
/// is flagged, and those rows go unless something refers to them (an inspection, a case, a
/// sample, a 待核实 entry): those stay, to be sorted out by a person. A household with a real
/// toilet beside a "无厕所" row contradicts itself and keeps both rows for a person to decide.
const V12_NO_TOILET: &str = r#"
ALTER TABLE households ADD COLUMN no_toilet INTEGER NOT NULL DEFAULT 0 CHECK (no_toilet = 0 OR no_toilet = 1);
UPDATE households SET no_toilet = 1
WHERE id IN (SELECT household_id FROM toilets WHERE tech_mode = 'no_toilet')
  AND NOT EXISTS (SELECT 1 FROM toilets t WHERE t.household_id = households.id
                  AND t.tech_mode IS NOT 'no_toilet');
DELETE FROM toilets
WHERE tech_mode = 'no_toilet'
  AND (SELECT no_toilet FROM households h WHERE h.id = toilets.household_id) = 1
  AND NOT EXISTS (SELECT 1 FROM inspections i WHERE i.toilet_id = toilets.id)
  AND NOT EXISTS (SELECT 1 FROM rectifications r WHERE r.toilet_id = toilets.id)
  AND NOT EXISTS (SELECT 1 FROM spot_sample_items s WHERE s.toilet_id = toilets.id)
  AND NOT EXISTS (SELECT 1 FROM pending_checks p WHERE p.toilet_id = toilets.id);
CREATE INDEX households_no_toilet ON households(village_id) WHERE no_toilet = 1;
"#;

/// Version 13: when a photo was taken (its EXIF time), for photos that come in without a form.
const V13_PHOTO_TIME: &str = r#"
ALTER TABLE photos ADD COLUMN taken_at TEXT;
"#;

/// Version 14: row versions (#18). Households and cases carry a number that every change moves
/// on (a trigger bumps it whatever the write, imports included); a clerk's save names the
/// version the clerk saw, and a change made meanwhile on another PC is refused with its author
/// instead of being overwritten (see [`crate::store::versions`]).
const V14_ROW_VERSIONS: &str = r#"
ALTER TABLE households ADD COLUMN row_version INTEGER NOT NULL DEFAULT 1;
ALTER TABLE rectifications ADD COLUMN row_version INTEGER NOT NULL DEFAULT 1;
CREATE TRIGGER households_row_version AFTER UPDATE ON households
WHEN NEW.row_version = OLD.row_version
BEGIN
    UPDATE households SET row_version = OLD.row_version + 1 WHERE id = NEW.id;
END;
CREATE TRIGGER rectifications_row_version AFTER UPDATE ON rectifications
WHEN NEW.row_version = OLD.row_version
BEGIN
    UPDATE rectifications SET row_version = OLD.row_version + 1 WHERE id = NEW.id;
END;
"#;

/// Version 15: each toilet's first inspection day and first town re-check day, kept by
/// triggers on the inspections (#18, #19). 进度调度 counts a toilet as inspected on a date when
/// its first inspection is on or before it; reading these two days from one covering index
/// instead of every inspection makes the district's numbers fast on both engines.
const V15_FIRST_INSPECTIONS: &str = r#"
ALTER TABLE toilets ADD COLUMN first_inspected_on TEXT;
ALTER TABLE toilets ADD COLUMN first_rechecked_on TEXT;
UPDATE toilets
SET first_inspected_on = (SELECT min(i.inspected_on) FROM inspections i WHERE i.toilet_id = toilets.id),
    first_rechecked_on = (SELECT min(i.inspected_on) FROM inspections i
                          WHERE i.toilet_id = toilets.id AND i.kind = 'town_recheck')
WHERE id IN (SELECT toilet_id FROM inspections);
CREATE INDEX toilets_first_inspections ON toilets(household_id, first_inspected_on, first_rechecked_on);
CREATE TRIGGER toilets_first_inspection_added AFTER INSERT ON inspections
BEGIN
    UPDATE toilets SET first_inspected_on = NEW.inspected_on
    WHERE id = NEW.toilet_id AND (first_inspected_on IS NULL OR first_inspected_on > NEW.inspected_on);
    UPDATE toilets SET first_rechecked_on = NEW.inspected_on
    WHERE NEW.kind = 'town_recheck' AND id = NEW.toilet_id
      AND (first_rechecked_on IS NULL OR first_rechecked_on > NEW.inspected_on);
END;
CREATE TRIGGER toilets_first_inspection_changed AFTER UPDATE OF toilet_id, kind, inspected_on ON inspections
BEGIN
    UPDATE toilets
    SET first_inspected_on = (SELECT min(i.inspected_on) FROM inspections i WHERE i.toilet_id = toilets.id),
        first_rechecked_on = (SELECT min(i.inspected_on) FROM inspections i
                              WHERE i.toilet_id = toilets.id AND i.kind = 'town_recheck')
    WHERE id = OLD.toilet_id OR id = NEW.toilet_id;
END;
CREATE TRIGGER toilets_first_inspection_removed AFTER DELETE ON inspections
BEGIN
    UPDATE toilets
    SET first_inspected_on = (SELECT min(i.inspected_on) FROM inspections i WHERE i.toilet_id = toilets.id),
        first_rechecked_on = (SELECT min(i.inspected_on) FROM inspections i
                              WHERE i.toilet_id = toilets.id AND i.kind = 'town_recheck')
    WHERE id = OLD.toilet_id;
END;
"#;

/// Version 16: failed logins with user names that do not exist, counted in the database (not
/// on one connection), so an unknown name locks on every PC as a real account does and trying
/// names from two PCs tells nothing. The name is kept only as a keyed hash (it may be a
/// password typed into the wrong box); rows are dropped a day after their last failure.
const V16_UNKNOWN_LOGINS: &str = r#"
CREATE TABLE unknown_logins (
    name_key     TEXT PRIMARY KEY,
    failures     INTEGER NOT NULL,
    locked_until TEXT,
    last_at      TEXT NOT NULL
) STRICT;
"#;

/// Version 17: the search keys carry their household's village and 社, and are kept in list
/// order (key, village, 社, household): a search of the whole town or a village by a name part
/// or pinyin initials takes its page of households, in the list's order, from the keys alone,
/// instead of reading every matching household to sort them (thousands for two letters of
/// pinyin in a district). A household moved to another 社 takes its keys along.
const V17_SEARCH_IN_ORDER: &str = r#"
CREATE TABLE household_search_in_order (
    term         TEXT NOT NULL,
    household_id INTEGER NOT NULL REFERENCES households(id) ON DELETE CASCADE,
    village_id   INTEGER NOT NULL,
    group_id     INTEGER NOT NULL,
    PRIMARY KEY (term, village_id, group_id, household_id)
) STRICT, WITHOUT ROWID;
INSERT INTO household_search_in_order (term, household_id, village_id, group_id)
SELECT s.term, s.household_id, h.village_id, h.group_id
FROM household_search s JOIN households h ON h.id = s.household_id;
DROP TABLE household_search;
ALTER TABLE household_search_in_order RENAME TO household_search;
CREATE INDEX household_search_by_household ON household_search(household_id);
CREATE TRIGGER household_search_follows_household AFTER UPDATE OF village_id, group_id ON households
BEGIN
    UPDATE household_search SET village_id = NEW.village_id, group_id = NEW.group_id
    WHERE household_id = NEW.id;
END;
"#;

/// Version 18: the search keys are the program's own index of the heads' names, written only
/// with their household (and after it): they no longer carry a foreign key, whose check on the
/// server (a locked look-up of the household for each of six keys a household) was two fifths
/// of a big import's time there. A trigger deletes a household's keys with it, as the key's
/// `ON DELETE CASCADE` did.
const V18_SEARCH_KEYS_UNCHECKED: &str = r#"
DROP TRIGGER household_search_follows_household;
CREATE TABLE household_search_unchecked (
    term         TEXT NOT NULL,
    household_id INTEGER NOT NULL,
    village_id   INTEGER NOT NULL,
    group_id     INTEGER NOT NULL,
    PRIMARY KEY (term, village_id, group_id, household_id)
) STRICT, WITHOUT ROWID;
INSERT INTO household_search_unchecked (term, household_id, village_id, group_id)
SELECT term, household_id, village_id, group_id FROM household_search;
DROP TABLE household_search;
ALTER TABLE household_search_unchecked RENAME TO household_search;
CREATE INDEX household_search_by_household ON household_search(household_id);
CREATE TRIGGER household_search_follows_household AFTER UPDATE OF village_id, group_id ON households
BEGIN
    UPDATE household_search SET village_id = NEW.village_id, group_id = NEW.group_id
    WHERE household_id = NEW.id;
END;
CREATE TRIGGER household_search_goes_with_household AFTER DELETE ON households
BEGIN
    DELETE FROM household_search WHERE household_id = OLD.id;
END;
"#;

/// Version 19: each toilet carries its household's village, kept by triggers (#19). 进度调度
/// groups the district's toilets by village and first inspection day from one covering index,
/// without joining the households (on the server that join was most of the time).
const V19_TOILETS_BY_VILLAGE: &str = r#"
ALTER TABLE toilets ADD COLUMN village_id INTEGER;
UPDATE toilets SET village_id = (SELECT h.village_id FROM households h WHERE h.id = toilets.household_id);
DROP INDEX toilets_first_inspections;
CREATE INDEX toilets_by_village_first_inspections ON toilets(village_id, first_inspected_on, first_rechecked_on);
CREATE TRIGGER toilets_village_when_added AFTER INSERT ON toilets
WHEN NEW.village_id IS NULL
BEGIN
    UPDATE toilets SET village_id = (SELECT village_id FROM households WHERE id = NEW.household_id)
    WHERE id = NEW.id;
END;
CREATE TRIGGER toilets_village_when_moved AFTER UPDATE OF household_id ON toilets
BEGIN
    UPDATE toilets SET village_id = (SELECT village_id FROM households WHERE id = NEW.household_id)
    WHERE id = NEW.id;
END;
CREATE TRIGGER toilets_follow_household AFTER UPDATE OF village_id ON households
WHEN NEW.village_id IS NOT OLD.village_id
BEGIN
    UPDATE toilets SET village_id = NEW.village_id WHERE household_id = NEW.id;
END;
"#;

/// Version 20: 多方比对 kept per toilet (#19). What each inspected toilet's checks say (its
/// place, the group rated, whether the checks disagree, whether the baseline was found wrong)
/// and its differences are kept in `compare_toilets` and `compare_differences`, with their
/// counts by 社 and group (`compare_counts`) and the groups of its village checks
/// (`compare_self_checks`, a group's batch); triggers on
/// everything they are made of mark the toilet in `compare_pending`, and the comparison works
/// out only the marked toilets again before it reads (see [`crate::reports::compare`]). The
/// district's comparison then reads a few thousand rows instead of every inspection.
const V20_COMPARE_KEPT: &str = r#"
CREATE TABLE compare_pending (
    toilet_id INTEGER PRIMARY KEY
) STRICT;
CREATE TABLE compare_toilets (
    toilet_id         INTEGER PRIMARY KEY,
    household_id      INTEGER NOT NULL,
    village_id        INTEGER NOT NULL,
    group_id          INTEGER NOT NULL,
    baseline_compared INTEGER NOT NULL,
    baseline_differs  INTEGER NOT NULL,
    rated_set         TEXT,
    between_checks    INTEGER NOT NULL
) STRICT;
CREATE INDEX compare_toilets_by_group ON compare_toilets(group_id, village_id, rated_set, baseline_compared, baseline_differs, between_checks);
CREATE INDEX compare_toilets_by_village ON compare_toilets(village_id, rated_set);
CREATE TABLE compare_counts (
    village_id        INTEGER NOT NULL,
    group_id          INTEGER NOT NULL,
    rated_set         TEXT,
    toilets           INTEGER NOT NULL,
    baseline_compared INTEGER NOT NULL,
    baseline_differs  INTEGER NOT NULL,
    between_checks    INTEGER NOT NULL
) STRICT;
CREATE INDEX compare_counts_by_group ON compare_counts(group_id);
CREATE TABLE compare_self_checks (
    staff_set    TEXT NOT NULL,
    toilet_id    INTEGER NOT NULL,
    household_id INTEGER NOT NULL,
    PRIMARY KEY (staff_set, toilet_id)
) STRICT;
CREATE INDEX compare_self_checks_by_toilet ON compare_self_checks(toilet_id);
CREATE TABLE compare_differences (
    toilet_id      INTEGER NOT NULL,
    position       INTEGER NOT NULL,
    household_id   INTEGER NOT NULL,
    village_id     INTEGER NOT NULL,
    group_id       INTEGER NOT NULL,
    toilet_seq     INTEGER NOT NULL,
    head_name      TEXT NOT NULL,
    left_side      TEXT NOT NULL,
    right_side     TEXT NOT NULL,
    field          TEXT NOT NULL,
    left_value     TEXT NOT NULL,
    right_value    TEXT NOT NULL,
    between_checks INTEGER NOT NULL,
    PRIMARY KEY (toilet_id, position)
) STRICT;
CREATE INDEX inspection_members_by_staff ON inspection_members(staff_id, inspection_id);
INSERT INTO compare_pending (toilet_id) SELECT DISTINCT toilet_id FROM inspections;
CREATE TRIGGER compare_after_inspection_added AFTER INSERT ON inspections
BEGIN
    INSERT OR IGNORE INTO compare_pending (toilet_id) VALUES (NEW.toilet_id);
END;
CREATE TRIGGER compare_after_inspection_changed
AFTER UPDATE OF toilet_id, kind, inspected_on, household_status, in_normal_use ON inspections
BEGIN
    INSERT OR IGNORE INTO compare_pending (toilet_id) VALUES (OLD.toilet_id), (NEW.toilet_id);
END;
CREATE TRIGGER compare_after_inspection_removed AFTER DELETE ON inspections
BEGIN
    INSERT OR IGNORE INTO compare_pending (toilet_id) VALUES (OLD.toilet_id);
END;
CREATE TRIGGER compare_after_problem_added AFTER INSERT ON inspection_problems
BEGIN
    INSERT OR IGNORE INTO compare_pending (toilet_id)
    SELECT toilet_id FROM inspections WHERE id = NEW.inspection_id;
END;
CREATE TRIGGER compare_after_problem_changed
AFTER UPDATE OF inspection_id, item_id, stops_use ON inspection_problems
BEGIN
    INSERT OR IGNORE INTO compare_pending (toilet_id)
    SELECT toilet_id FROM inspections WHERE id = OLD.inspection_id OR id = NEW.inspection_id;
END;
CREATE TRIGGER compare_after_problem_removed AFTER DELETE ON inspection_problems
BEGIN
    INSERT OR IGNORE INTO compare_pending (toilet_id)
    SELECT toilet_id FROM inspections WHERE id = OLD.inspection_id;
END;
CREATE TRIGGER compare_after_member_added AFTER INSERT ON inspection_members
BEGIN
    INSERT OR IGNORE INTO compare_pending (toilet_id)
    SELECT toilet_id FROM inspections WHERE id = NEW.inspection_id;
END;
CREATE TRIGGER compare_after_member_changed AFTER UPDATE ON inspection_members
BEGIN
    INSERT OR IGNORE INTO compare_pending (toilet_id)
    SELECT toilet_id FROM inspections WHERE id = OLD.inspection_id OR id = NEW.inspection_id;
END;
CREATE TRIGGER compare_after_member_removed AFTER DELETE ON inspection_members
BEGIN
    INSERT OR IGNORE INTO compare_pending (toilet_id)
    SELECT toilet_id FROM inspections WHERE id = OLD.inspection_id;
END;
CREATE TRIGGER compare_after_problem_item_renamed AFTER UPDATE OF name ON problem_items
WHEN NEW.name IS NOT OLD.name
BEGIN
    INSERT OR IGNORE INTO compare_pending (toilet_id)
    SELECT DISTINCT i.toilet_id FROM inspection_problems p JOIN inspections i ON i.id = p.inspection_id
    WHERE p.item_id = NEW.id;
END;
CREATE TRIGGER compare_after_toilet_changed AFTER UPDATE OF seq, use_status, household_id ON toilets
WHEN NEW.seq IS NOT OLD.seq OR NEW.use_status IS NOT OLD.use_status
  OR NEW.household_id IS NOT OLD.household_id
BEGIN
    INSERT OR IGNORE INTO compare_pending (toilet_id)
    SELECT NEW.id WHERE EXISTS (SELECT 1 FROM inspections WHERE toilet_id = NEW.id);
END;
CREATE TRIGGER compare_after_household_changed
AFTER UPDATE OF village_id, group_id, head_name ON households
WHEN NEW.village_id IS NOT OLD.village_id OR NEW.group_id IS NOT OLD.group_id
  OR NEW.head_name IS NOT OLD.head_name
BEGIN
    INSERT OR IGNORE INTO compare_pending (toilet_id)
    SELECT DISTINCT i.toilet_id FROM toilets t JOIN inspections i ON i.toilet_id = t.id
    WHERE t.household_id = NEW.id;
END;
CREATE TRIGGER compare_after_correction AFTER INSERT ON change_log
WHEN NEW.entity = 'toilet' AND NEW.source LIKE '入户核查%'
BEGIN
    INSERT OR IGNORE INTO compare_pending (toilet_id) VALUES (NEW.entity_id);
END;
"#;

/// The kept 多方比对 (version 20) emptied and every inspected toilet marked, so the next
/// comparison works them all out again: `compare::rebuild`, and push and pull, which do not copy
/// the kept tables. The same SQL on both engines.
pub(crate) const KEPT_COMPARISON_AFRESH: &str = "DELETE FROM compare_differences;
    DELETE FROM compare_toilets;
    DELETE FROM compare_counts;
    DELETE FROM compare_self_checks;
    DELETE FROM compare_pending;
    INSERT INTO compare_pending (toilet_id) SELECT DISTINCT toilet_id FROM inspections;";

/// SQLite's application id of this program's files (`PRAGMA application_id`): "HUCE".
pub const APPLICATION_ID: i64 = 0x4855_4345;

/// Version 21: a household's row lists its search keys (`search_terms`, a JSON array of the
/// terms it has in `household_search`), and the keys lose their index by household, a full
/// copy of their table (#19: a sixth of the first import of 100,000 rows was building it).
/// Whatever moves or deletes a household, its keys follow by their primary key, found through
/// the terms the row lists; a new head's keys replace the listed ones (`households::replace_keys`).
/// The terms are taken from the keys there are, those an earlier program wrote included.
const V21_KEYS_ON_THE_ROW: &str = r#"
ALTER TABLE households ADD COLUMN search_terms TEXT NOT NULL DEFAULT '[]';
UPDATE households SET search_terms =
    (SELECT json_group_array(term) FROM household_search s WHERE s.household_id = households.id);
DROP TRIGGER household_search_follows_household;
DROP TRIGGER household_search_goes_with_household;
DROP INDEX household_search_by_household;
CREATE TRIGGER household_search_follows_household AFTER UPDATE OF village_id, group_id ON households
BEGIN
    UPDATE household_search SET village_id = NEW.village_id, group_id = NEW.group_id
    WHERE term IN (SELECT value FROM json_each(OLD.search_terms))
      AND village_id = OLD.village_id AND group_id = OLD.group_id AND household_id = OLD.id;
END;
CREATE TRIGGER household_search_goes_with_household AFTER DELETE ON households
BEGIN
    DELETE FROM household_search
    WHERE term IN (SELECT value FROM json_each(OLD.search_terms))
      AND village_id = OLD.village_id AND group_id = OLD.group_id AND household_id = OLD.id;
END;
"#;

/// Version 21 on the server: as [`V21_KEYS_ON_THE_ROW`].
const V21_KEYS_ON_THE_ROW_PG: &str = r#"
ALTER TABLE households ADD COLUMN search_terms TEXT NOT NULL DEFAULT '[]';
UPDATE households h SET search_terms = k.terms
FROM (SELECT household_id, CAST(json_agg(term) AS text) AS terms
      FROM household_search GROUP BY household_id) k
WHERE k.household_id = h.id;
DROP INDEX household_search_by_household;
CREATE OR REPLACE FUNCTION household_search_follows_household() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE household_search SET village_id = NEW.village_id, group_id = NEW.group_id
    WHERE term IN (SELECT json_array_elements_text(CAST(OLD.search_terms AS json)))
      AND village_id = OLD.village_id AND group_id = OLD.group_id AND household_id = OLD.id;
    RETURN NULL;
END $$;
CREATE OR REPLACE FUNCTION household_search_goes_with_household() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM household_search
    WHERE term IN (SELECT json_array_elements_text(CAST(OLD.search_terms AS json)))
      AND village_id = OLD.village_id AND group_id = OLD.group_id AND household_id = OLD.id;
    RETURN NULL;
END $$;
"#;

pub const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        description: "行政村、社、农户、户厕及台账底数字段",
        step: Step::Sql(V1_BASE),
    },
    Migration {
        version: 2,
        description: "户主姓名、拼音首字母和身份证号尾号检索",
        step: Step::SqlThen(V2_SEARCH, v2_backfill),
    },
    Migration {
        version: 3,
        description: "字段修改记录（原值→新值）和导入批次",
        step: Step::Sql(V3_CHANGES),
    },
    Migration {
        version: 4,
        description: "工作人员、问题口径、入户核查、照片和问题厕所台账（整改、销号）",
        step: Step::Sql(V4_FIELD_WORK),
    },
    Migration {
        version: 5,
        description: "区级抽查样本（随机种子、抽样方法和抽中的户厕）",
        step: Step::Sql(V5_SAMPLES),
    },
    Migration {
        version: 6,
        description: "登录账户和角色、防篡改的操作日志",
        step: Step::Sql(V6_ACCOUNTABILITY),
    },
    Migration {
        version: 7,
        description: "审核人、负责人在程序中签字背书，审核后锁定",
        step: Step::Sql(V7_SIGNOFFS),
    },
    Migration {
        version: 8,
        description:
            "录入账户留痕、管理员重设的密码须修改、操作日志新校验格式、程序抽取的随机种子、文件标识",
        step: Step::SqlThen(V8_SAFETY, v8_identity),
    },
    Migration {
        version: 9,
        description:
            "待核实：导入时存疑的字段留空待核实，不再整行不导入；技术模式和厕所位置增加“其他”",
        step: Step::SqlThen(V9_PENDING, v9_other_values),
    },
    Migration {
        version: 10,
        description: "问题口径按铜梁气候：冬季冻裂、冬季无法使用默认停用",
        step: Step::Sql(V10_CLIMATE),
    },
    Migration {
        version: 11,
        description:
            "告知单送达和回执登记、验收单户主确认和扫描件、复核更新整改记录、报区人居办研究解决",
        step: Step::SqlThen(V11_PAPER, v11_event_kinds),
    },
    Migration {
        version: 12,
        description: "无厕所户记在农户上，不再作为户厕计入户厕数和排查率",
        step: Step::Sql(V12_NO_TOILET),
    },
    Migration {
        version: 13,
        description: "照片的拍摄时间（照片导入时读取）",
        step: Step::Sql(V13_PHOTO_TIME),
    },
    Migration {
        version: 14,
        description:
            "农户和整改记录的版本号：几台电脑同时修改同一户时，后保存的人会得到提示而不会覆盖",
        step: Step::Sql(V14_ROW_VERSIONS),
    },
    Migration {
        version: 15,
        description: "每个户厕的首次排查日期和首次镇级复核日期，全区进度调度更快",
        step: Step::Sql(V15_FIRST_INSPECTIONS),
    },
    Migration {
        version: 16,
        description: "不存在的用户名登录失败的次数记在数据库里，几台电脑上一样锁定",
        step: Step::Sql(V16_UNKNOWN_LOGINS),
    },
    Migration {
        version: 17,
        description:
            "查找用的关键字带上农户所在的行政村和社，按名册顺序存放，全镇按姓名或拼音查找更快",
        step: Step::Sql(V17_SEARCH_IN_ORDER),
    },
    Migration {
        version: 18,
        description: "查找用的关键字随农户一起写入和删除，服务器上大批导入更快",
        step: Step::Sql(V18_SEARCH_KEYS_UNCHECKED),
    },
    Migration {
        version: 19,
        description: "每个户厕记下所在的行政村，服务器上全区进度调度更快",
        step: Step::Sql(V19_TOILETS_BY_VILLAGE),
    },
    Migration {
        version: 20,
        description: "多方比对按户厕记下结果，只重算有改动的户厕，全区比对更快",
        step: Step::Sql(V20_COMPARE_KEPT),
    },
    Migration {
        version: 21,
        description: "农户记下自己的查找关键字，关键字不再另建按农户的索引，首次导入更快",
        step: Step::Sql(V21_KEYS_ON_THE_ROW),
    },
];

/// The schema version this program writes.
pub const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

/// The server's schema (PostgreSQL 15+) as it was at version 14, the first version a server
/// database had; [`POSTGRES_MIGRATIONS`] take it on from there.
const POSTGRES_BASE: &str = include_str!("../../schema.pg.sql");

/// The version [`POSTGRES_BASE`] is at.
pub const POSTGRES_BASE_VERSION: i64 = 14;

/// The migrations after [`POSTGRES_BASE_VERSION`] in PostgreSQL's words, under the file's
/// numbers: a new server database runs them all after the base, an older one those it lacks
/// (see [`crate::store::server::Server::set_up`]).
pub const POSTGRES_MIGRATIONS: &[(i64, &str)] = &[
    (15, V15_FIRST_INSPECTIONS_PG),
    (16, V16_UNKNOWN_LOGINS_PG),
    (17, V17_SEARCH_IN_ORDER_PG),
    (18, V18_SEARCH_KEYS_UNCHECKED_PG),
    (19, V19_TOILETS_BY_VILLAGE_PG),
    (20, V20_COMPARE_KEPT_PG),
    (21, V21_KEYS_ON_THE_ROW_PG),
];

/// Version 20 on the server: as [`V20_COMPARE_KEPT`]. A mark is written with `DO UPDATE`, which
/// locks it even when the toilet is marked already: a comparison taking the mark then waits for
/// the unit of work that changed the toilet and reads its change (with `DO NOTHING` it would
/// take the mark at once and miss the change). A mark a comparison has taken (deleted, not yet
/// committed) makes a new mark of the toilet wait for that comparison and be written after it.
const V20_COMPARE_KEPT_PG: &str = r#"
CREATE TABLE compare_pending (
    toilet_id BIGINT PRIMARY KEY
);
CREATE TABLE compare_toilets (
    toilet_id         BIGINT PRIMARY KEY,
    household_id      BIGINT NOT NULL,
    village_id        BIGINT NOT NULL,
    group_id          BIGINT NOT NULL,
    baseline_compared BIGINT NOT NULL,
    baseline_differs  BIGINT NOT NULL,
    rated_set         TEXT,
    between_checks    BIGINT NOT NULL
);
CREATE INDEX compare_toilets_by_group ON compare_toilets(group_id, village_id, rated_set, baseline_compared, baseline_differs, between_checks);
CREATE INDEX compare_toilets_by_village ON compare_toilets(village_id, rated_set);
CREATE TABLE compare_counts (
    village_id        BIGINT NOT NULL,
    group_id          BIGINT NOT NULL,
    rated_set         TEXT,
    toilets           BIGINT NOT NULL,
    baseline_compared BIGINT NOT NULL,
    baseline_differs  BIGINT NOT NULL,
    between_checks    BIGINT NOT NULL
);
CREATE INDEX compare_counts_by_group ON compare_counts(group_id);
CREATE TABLE compare_self_checks (
    staff_set    TEXT NOT NULL,
    toilet_id    BIGINT NOT NULL,
    household_id BIGINT NOT NULL,
    PRIMARY KEY (staff_set, toilet_id)
);
CREATE INDEX compare_self_checks_by_toilet ON compare_self_checks(toilet_id);
CREATE TABLE compare_differences (
    toilet_id      BIGINT NOT NULL,
    position       BIGINT NOT NULL,
    household_id   BIGINT NOT NULL,
    village_id     BIGINT NOT NULL,
    group_id       BIGINT NOT NULL,
    toilet_seq     BIGINT NOT NULL,
    head_name      TEXT NOT NULL,
    left_side      TEXT NOT NULL,
    right_side     TEXT NOT NULL,
    field          TEXT NOT NULL,
    left_value     TEXT NOT NULL,
    right_value    TEXT NOT NULL,
    between_checks BIGINT NOT NULL,
    PRIMARY KEY (toilet_id, position)
);
CREATE INDEX inspection_members_by_staff ON inspection_members(staff_id, inspection_id);
INSERT INTO compare_pending (toilet_id) SELECT DISTINCT toilet_id FROM inspections;
CREATE FUNCTION compare_mark(toilet bigint) RETURNS void LANGUAGE sql AS $$
    INSERT INTO compare_pending (toilet_id) VALUES (toilet)
    ON CONFLICT (toilet_id) DO UPDATE SET toilet_id = excluded.toilet_id
$$;
CREATE FUNCTION compare_after_inspection() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'INSERT' THEN
        PERFORM compare_mark(OLD.toilet_id);
    END IF;
    IF TG_OP <> 'DELETE' THEN
        PERFORM compare_mark(NEW.toilet_id);
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER compare_after_inspection_added AFTER INSERT ON inspections
FOR EACH ROW EXECUTE FUNCTION compare_after_inspection();
CREATE TRIGGER compare_after_inspection_changed
AFTER UPDATE OF toilet_id, kind, inspected_on, household_status, in_normal_use ON inspections
FOR EACH ROW EXECUTE FUNCTION compare_after_inspection();
CREATE TRIGGER compare_after_inspection_removed AFTER DELETE ON inspections
FOR EACH ROW EXECUTE FUNCTION compare_after_inspection();
CREATE FUNCTION compare_after_inspection_part() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'INSERT' THEN
        PERFORM compare_mark(toilet_id) FROM inspections WHERE id = OLD.inspection_id;
    END IF;
    IF TG_OP <> 'DELETE' THEN
        PERFORM compare_mark(toilet_id) FROM inspections WHERE id = NEW.inspection_id;
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER compare_after_problem_added AFTER INSERT ON inspection_problems
FOR EACH ROW EXECUTE FUNCTION compare_after_inspection_part();
CREATE TRIGGER compare_after_problem_changed
AFTER UPDATE OF inspection_id, item_id, stops_use ON inspection_problems
FOR EACH ROW EXECUTE FUNCTION compare_after_inspection_part();
CREATE TRIGGER compare_after_problem_removed AFTER DELETE ON inspection_problems
FOR EACH ROW EXECUTE FUNCTION compare_after_inspection_part();
CREATE TRIGGER compare_after_member_added AFTER INSERT ON inspection_members
FOR EACH ROW EXECUTE FUNCTION compare_after_inspection_part();
CREATE TRIGGER compare_after_member_changed AFTER UPDATE ON inspection_members
FOR EACH ROW EXECUTE FUNCTION compare_after_inspection_part();
CREATE TRIGGER compare_after_member_removed AFTER DELETE ON inspection_members
FOR EACH ROW EXECUTE FUNCTION compare_after_inspection_part();
CREATE FUNCTION compare_after_problem_item_renamed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM compare_mark(t.toilet_id)
    FROM (SELECT DISTINCT i.toilet_id FROM inspection_problems p
          JOIN inspections i ON i.id = p.inspection_id WHERE p.item_id = NEW.id) t;
    RETURN NULL;
END $$;
CREATE TRIGGER compare_after_problem_item_renamed AFTER UPDATE OF name ON problem_items
FOR EACH ROW WHEN (NEW.name IS DISTINCT FROM OLD.name)
EXECUTE FUNCTION compare_after_problem_item_renamed();
CREATE FUNCTION compare_after_toilet_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM inspections WHERE toilet_id = NEW.id) THEN
        PERFORM compare_mark(NEW.id);
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER compare_after_toilet_changed AFTER UPDATE OF seq, use_status, household_id ON toilets
FOR EACH ROW WHEN (NEW.seq IS DISTINCT FROM OLD.seq OR NEW.use_status IS DISTINCT FROM OLD.use_status
                   OR NEW.household_id IS DISTINCT FROM OLD.household_id)
EXECUTE FUNCTION compare_after_toilet_changed();
CREATE FUNCTION compare_after_household_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM compare_mark(x.toilet_id)
    FROM (SELECT DISTINCT i.toilet_id FROM toilets t JOIN inspections i ON i.toilet_id = t.id
          WHERE t.household_id = NEW.id) x;
    RETURN NULL;
END $$;
CREATE TRIGGER compare_after_household_changed
AFTER UPDATE OF village_id, group_id, head_name ON households
FOR EACH ROW WHEN (NEW.village_id IS DISTINCT FROM OLD.village_id OR NEW.group_id IS DISTINCT FROM OLD.group_id
                   OR NEW.head_name IS DISTINCT FROM OLD.head_name)
EXECUTE FUNCTION compare_after_household_changed();
CREATE FUNCTION compare_after_correction() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM compare_mark(NEW.entity_id);
    RETURN NULL;
END $$;
CREATE TRIGGER compare_after_correction AFTER INSERT ON change_log
FOR EACH ROW WHEN (NEW.entity = 'toilet' AND NEW.source LIKE '入户核查%')
EXECUTE FUNCTION compare_after_correction();
"#;

/// Version 19 on the server: as [`V19_TOILETS_BY_VILLAGE`]; a new toilet takes its village
/// before it is written.
const V19_TOILETS_BY_VILLAGE_PG: &str = r#"
ALTER TABLE toilets ADD COLUMN village_id BIGINT;
UPDATE toilets t SET village_id = h.village_id FROM households h WHERE h.id = t.household_id;
DROP INDEX toilets_first_inspections;
CREATE INDEX toilets_by_village_first_inspections ON toilets(village_id, first_inspected_on, first_rechecked_on);
CREATE FUNCTION toilets_take_village() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.village_id := (SELECT village_id FROM households WHERE id = NEW.household_id);
    RETURN NEW;
END $$;
CREATE TRIGGER toilets_village_when_added BEFORE INSERT ON toilets
FOR EACH ROW WHEN (NEW.village_id IS NULL) EXECUTE FUNCTION toilets_take_village();
CREATE TRIGGER toilets_village_when_moved BEFORE UPDATE OF household_id ON toilets
FOR EACH ROW EXECUTE FUNCTION toilets_take_village();
CREATE FUNCTION toilets_follow_household() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE toilets SET village_id = NEW.village_id WHERE household_id = NEW.id;
    RETURN NULL;
END $$;
CREATE TRIGGER toilets_follow_household AFTER UPDATE OF village_id ON households
FOR EACH ROW WHEN (NEW.village_id IS DISTINCT FROM OLD.village_id)
EXECUTE FUNCTION toilets_follow_household();
"#;

/// Version 18 on the server: as [`V18_SEARCH_KEYS_UNCHECKED`], the key dropped in place.
const V18_SEARCH_KEYS_UNCHECKED_PG: &str = r#"
DO $$
DECLARE k text;
BEGIN
    FOR k IN SELECT conname FROM pg_constraint
             WHERE conrelid = CAST('household_search' AS regclass) AND contype = 'f' LOOP
        EXECUTE format('ALTER TABLE household_search DROP CONSTRAINT %I', k);
    END LOOP;
END $$;
CREATE FUNCTION household_search_goes_with_household() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM household_search WHERE household_id = OLD.id;
    RETURN NULL;
END $$;
CREATE TRIGGER household_search_goes_with_household AFTER DELETE ON households
FOR EACH ROW EXECUTE FUNCTION household_search_goes_with_household();
"#;

/// Version 17 on the server: as [`V17_SEARCH_IN_ORDER`], the table changed in place.
const V17_SEARCH_IN_ORDER_PG: &str = r#"
ALTER TABLE household_search ADD COLUMN village_id BIGINT;
ALTER TABLE household_search ADD COLUMN group_id BIGINT;
UPDATE household_search s SET village_id = h.village_id, group_id = h.group_id
FROM households h WHERE h.id = s.household_id;
ALTER TABLE household_search ALTER COLUMN village_id SET NOT NULL;
ALTER TABLE household_search ALTER COLUMN group_id SET NOT NULL;
ALTER TABLE household_search DROP CONSTRAINT household_search_pkey;
ALTER TABLE household_search ADD PRIMARY KEY (term, village_id, group_id, household_id);
CREATE FUNCTION household_search_follows_household() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE household_search SET village_id = NEW.village_id, group_id = NEW.group_id
    WHERE household_id = NEW.id;
    RETURN NULL;
END $$;
CREATE TRIGGER household_search_follows_household AFTER UPDATE OF village_id, group_id ON households
FOR EACH ROW EXECUTE FUNCTION household_search_follows_household();
"#;

/// Version 16 on the server: as [`V16_UNKNOWN_LOGINS`].
const V16_UNKNOWN_LOGINS_PG: &str = r#"
CREATE TABLE unknown_logins (
    name_key     TEXT PRIMARY KEY,
    failures     BIGINT NOT NULL,
    locked_until TEXT,
    last_at      TEXT NOT NULL
);
"#;

/// Version 15 on the server: as [`V15_FIRST_INSPECTIONS`], the three triggers sharing one
/// function.
const V15_FIRST_INSPECTIONS_PG: &str = r#"
ALTER TABLE toilets ADD COLUMN first_inspected_on TEXT;
ALTER TABLE toilets ADD COLUMN first_rechecked_on TEXT;
UPDATE toilets
SET first_inspected_on = f.first_on, first_rechecked_on = f.rechecked_on
FROM (SELECT toilet_id, min(inspected_on) AS first_on,
             min(CASE WHEN kind = 'town_recheck' THEN inspected_on END) AS rechecked_on
      FROM inspections GROUP BY toilet_id) f
WHERE f.toilet_id = toilets.id;
CREATE INDEX toilets_first_inspections ON toilets(household_id, first_inspected_on, first_rechecked_on);
CREATE FUNCTION toilets_first_inspections() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        UPDATE toilets SET first_inspected_on = NEW.inspected_on
        WHERE id = NEW.toilet_id
          AND (first_inspected_on IS NULL OR first_inspected_on > NEW.inspected_on);
        IF NEW.kind = 'town_recheck' THEN
            UPDATE toilets SET first_rechecked_on = NEW.inspected_on
            WHERE id = NEW.toilet_id
              AND (first_rechecked_on IS NULL OR first_rechecked_on > NEW.inspected_on);
        END IF;
        RETURN NULL;
    END IF;
    UPDATE toilets t
    SET first_inspected_on = (SELECT min(i.inspected_on) FROM inspections i WHERE i.toilet_id = t.id),
        first_rechecked_on = (SELECT min(i.inspected_on) FROM inspections i
                              WHERE i.toilet_id = t.id AND i.kind = 'town_recheck')
    WHERE t.id = OLD.toilet_id;
    IF TG_OP = 'UPDATE' THEN
        IF NEW.toilet_id <> OLD.toilet_id THEN
            UPDATE toilets t
            SET first_inspected_on = (SELECT min(i.inspected_on) FROM inspections i WHERE i.toilet_id = t.id),
                first_rechecked_on = (SELECT min(i.inspected_on) FROM inspections i
                                      WHERE i.toilet_id = t.id AND i.kind = 'town_recheck')
            WHERE t.id = NEW.toilet_id;
        END IF;
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER toilets_first_inspection_added AFTER INSERT ON inspections
FOR EACH ROW EXECUTE FUNCTION toilets_first_inspections();
CREATE TRIGGER toilets_first_inspection_changed AFTER UPDATE OF toilet_id, kind, inspected_on ON inspections
FOR EACH ROW EXECUTE FUNCTION toilets_first_inspections();
CREATE TRIGGER toilets_first_inspection_removed AFTER DELETE ON inspections
FOR EACH ROW EXECUTE FUNCTION toilets_first_inspections();
"#;

/// The SQL of migration `version` on the server, with the version it leaves recorded.
pub fn postgres_migration(version: i64) -> Option<String> {
    POSTGRES_MIGRATIONS
        .iter()
        .find(|(v, _)| *v == version)
        .map(|(v, sql)| format!("{sql}\nUPDATE huce_schema SET version = {v};\n"))
}

/// The whole schema for a new server database, at [`SCHEMA_VERSION`]: the base and every later
/// migration, its text compared in code-point order ([`POSTGRES_CODE_POINT_ORDER`]). A test
/// holds it to the file's schema, table for table.
pub fn postgres_schema() -> String {
    let mut sql = POSTGRES_BASE.to_string();
    for v in POSTGRES_BASE_VERSION + 1..=SCHEMA_VERSION {
        sql.push_str(&postgres_migration(v).expect("every version has its server migration"));
    }
    sql.push_str(POSTGRES_CODE_POINT_ORDER);
    sql
}

/// The text columns of the current schema's tables that do not compare in code-point order.
pub const POSTGRES_NOT_IN_CODE_POINT_ORDER: &str = r#"
SELECT count(*) FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid
WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind IN ('r', 'p')
  AND a.attnum > 0 AND NOT a.attisdropped AND a.attcollation <> 0
  AND a.attcollation <> (SELECT oid FROM pg_collation
                         WHERE collname = 'C' AND collnamespace = 'pg_catalog'::regnamespace)
"#;

/// Every text column of the current schema's tables compared in code-point order (`COLLATE
/// "C"`), as the file compares it (SQLite's BINARY): the search keys' ranges (one character, pinyin
/// initials, an ID number's last digits) and every ordering depend on it. A database made with
/// an installer's defaults compares as its system's language does — Chinese by pinyin — and a
/// one-character range then misses names. The triggers that name a column are made again
/// around the change (PostgreSQL refuses to change a column a trigger names).
pub const POSTGRES_CODE_POINT_ORDER: &str = r#"
DO $$
DECLARE
    c_order oid := (SELECT oid FROM pg_collation
                    WHERE collname = 'C' AND collnamespace = 'pg_catalog'::regnamespace);
    tbl record;
    trg record;
    defs text[];
    def text;
BEGIN
    FOR tbl IN
        SELECT c.oid AS rel,
               string_agg(format('ALTER COLUMN %I TYPE %s COLLATE "C"', a.attname,
                                 format_type(a.atttypid, a.atttypmod)), ', ' ORDER BY a.attnum) AS alters
        FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid
        WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind IN ('r', 'p')
          AND a.attnum > 0 AND NOT a.attisdropped AND a.attcollation <> 0 AND a.attcollation <> c_order
        GROUP BY c.oid
    LOOP
        defs := ARRAY(SELECT pg_get_triggerdef(t.oid) FROM pg_trigger t
                      WHERE t.tgrelid = tbl.rel AND NOT t.tgisinternal ORDER BY t.tgname);
        FOR trg IN SELECT t.tgname FROM pg_trigger t WHERE t.tgrelid = tbl.rel AND NOT t.tgisinternal LOOP
            EXECUTE format('DROP TRIGGER %I ON %s', trg.tgname, tbl.rel::regclass);
        END LOOP;
        EXECUTE format('ALTER TABLE %s %s', tbl.rel::regclass, tbl.alters);
        FOREACH def IN ARRAY defs LOOP
            EXECUTE def;
        END LOOP;
    END LOOP;
END $$;
"#;

/// An in-memory database with the real migrations (for tests, and as the schema a restored
/// file is held against).
pub fn open_in_memory() -> Result<Connection> {
    let conn = Connection::open_in_memory()?;
    crate::store::conn::configure(&conn)?;
    migrate(&conn)?;
    Ok(conn)
}

/// The schema version stored in the database file.
pub fn schema_version(conn: &Connection) -> Result<i64> {
    Ok(conn.query_row("PRAGMA user_version", [], |r| r.get(0))?)
}

/// Applies every migration newer than the database, each in its own transaction.
pub fn migrate(conn: &Connection) -> Result<()> {
    migrate_to(conn, SCHEMA_VERSION)
}

/// Applies migrations up to and including `target` (tests use this to build older versions).
pub fn migrate_to(conn: &Connection, target: i64) -> Result<()> {
    let current = schema_version(conn)?;
    if current > SCHEMA_VERSION {
        return Err(Error::SchemaTooNew {
            found: current,
            supported: SCHEMA_VERSION,
        });
    }
    for m in MIGRATIONS
        .iter()
        .filter(|m| m.version > current && m.version <= target)
    {
        apply(conn, m).map_err(|source| Error::Migration {
            version: m.version,
            source,
        })?;
    }
    Ok(())
}

fn apply(conn: &Connection, m: &Migration) -> rusqlite::Result<()> {
    // unchecked_transaction: the caller holds `&Connection`; nothing else runs on it meanwhile.
    let tx = conn.unchecked_transaction()?;
    match m.step {
        Step::Sql(sql) => tx.execute_batch(sql)?,
        Step::SqlThen(sql, data) => {
            tx.execute_batch(sql)?;
            data(&tx)?;
        }
    }
    tx.pragma_update(None, "user_version", m.version)?;
    tx.commit()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrations_are_numbered_in_order() {
        for (i, m) in MIGRATIONS.iter().enumerate() {
            assert_eq!(
                m.version,
                i as i64 + 1,
                "migration {} is out of order",
                m.description
            );
        }
    }

    #[test]
    fn fresh_database_is_current() {
        let conn = open_in_memory().unwrap();
        assert_eq!(schema_version(&conn).unwrap(), SCHEMA_VERSION);
        let fk: i64 = conn
            .query_row("PRAGMA foreign_keys", [], |r| r.get(0))
            .unwrap();
        assert_eq!(fk, 1, "foreign keys must be enforced on every connection");
    }

    #[test]
    fn newer_database_is_refused() {
        let conn = Connection::open_in_memory().unwrap();
        conn.pragma_update(None, "user_version", SCHEMA_VERSION + 1)
            .unwrap();
        let err = migrate(&conn).unwrap_err();
        assert_eq!(err.code(), "schema_too_new", "{err}");
        assert!(
            err.to_string().contains("最新版本"),
            "the message must say what to do: {err}"
        );
    }
}
