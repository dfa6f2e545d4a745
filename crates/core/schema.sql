-- The schema a database has after every migration (huce-core, schema version 21).
-- Written by the test `migrations::the_schema_is_the_committed_schema` with
-- HUCE_WRITE_SCHEMA=1; review its diff with every new migration.
PRAGMA application_id = 1213547333;
PRAGMA user_version = 21;

-- trigger compare_after_correction
CREATE TRIGGER compare_after_correction AFTER INSERT ON change_log
WHEN NEW.entity = 'toilet' AND NEW.source LIKE '入户核查%'
BEGIN
    INSERT OR IGNORE INTO compare_pending (toilet_id) VALUES (NEW.entity_id);
END;

-- trigger compare_after_household_changed
CREATE TRIGGER compare_after_household_changed
AFTER UPDATE OF village_id, group_id, head_name ON households
WHEN NEW.village_id IS NOT OLD.village_id OR NEW.group_id IS NOT OLD.group_id
  OR NEW.head_name IS NOT OLD.head_name
BEGIN
    INSERT OR IGNORE INTO compare_pending (toilet_id)
    SELECT DISTINCT i.toilet_id FROM toilets t JOIN inspections i ON i.toilet_id = t.id
    WHERE t.household_id = NEW.id;
END;

-- trigger compare_after_inspection_added
CREATE TRIGGER compare_after_inspection_added AFTER INSERT ON inspections
BEGIN
    INSERT OR IGNORE INTO compare_pending (toilet_id) VALUES (NEW.toilet_id);
END;

-- trigger compare_after_inspection_changed
CREATE TRIGGER compare_after_inspection_changed
AFTER UPDATE OF toilet_id, kind, inspected_on, household_status, in_normal_use ON inspections
BEGIN
    INSERT OR IGNORE INTO compare_pending (toilet_id) VALUES (OLD.toilet_id), (NEW.toilet_id);
END;

-- trigger compare_after_inspection_removed
CREATE TRIGGER compare_after_inspection_removed AFTER DELETE ON inspections
BEGIN
    INSERT OR IGNORE INTO compare_pending (toilet_id) VALUES (OLD.toilet_id);
END;

-- trigger compare_after_member_added
CREATE TRIGGER compare_after_member_added AFTER INSERT ON inspection_members
BEGIN
    INSERT OR IGNORE INTO compare_pending (toilet_id)
    SELECT toilet_id FROM inspections WHERE id = NEW.inspection_id;
END;

-- trigger compare_after_member_changed
CREATE TRIGGER compare_after_member_changed AFTER UPDATE ON inspection_members
BEGIN
    INSERT OR IGNORE INTO compare_pending (toilet_id)
    SELECT toilet_id FROM inspections WHERE id = OLD.inspection_id OR id = NEW.inspection_id;
END;

-- trigger compare_after_member_removed
CREATE TRIGGER compare_after_member_removed AFTER DELETE ON inspection_members
BEGIN
    INSERT OR IGNORE INTO compare_pending (toilet_id)
    SELECT toilet_id FROM inspections WHERE id = OLD.inspection_id;
END;

-- trigger compare_after_problem_added
CREATE TRIGGER compare_after_problem_added AFTER INSERT ON inspection_problems
BEGIN
    INSERT OR IGNORE INTO compare_pending (toilet_id)
    SELECT toilet_id FROM inspections WHERE id = NEW.inspection_id;
END;

-- trigger compare_after_problem_changed
CREATE TRIGGER compare_after_problem_changed
AFTER UPDATE OF inspection_id, item_id, stops_use ON inspection_problems
BEGIN
    INSERT OR IGNORE INTO compare_pending (toilet_id)
    SELECT toilet_id FROM inspections WHERE id = OLD.inspection_id OR id = NEW.inspection_id;
END;

-- trigger compare_after_problem_item_renamed
CREATE TRIGGER compare_after_problem_item_renamed AFTER UPDATE OF name ON problem_items
WHEN NEW.name IS NOT OLD.name
BEGIN
    INSERT OR IGNORE INTO compare_pending (toilet_id)
    SELECT DISTINCT i.toilet_id FROM inspection_problems p JOIN inspections i ON i.id = p.inspection_id
    WHERE p.item_id = NEW.id;
END;

-- trigger compare_after_problem_removed
CREATE TRIGGER compare_after_problem_removed AFTER DELETE ON inspection_problems
BEGIN
    INSERT OR IGNORE INTO compare_pending (toilet_id)
    SELECT toilet_id FROM inspections WHERE id = OLD.inspection_id;
END;

-- trigger compare_after_toilet_changed
CREATE TRIGGER compare_after_toilet_changed AFTER UPDATE OF seq, use_status, household_id ON toilets
WHEN NEW.seq IS NOT OLD.seq OR NEW.use_status IS NOT OLD.use_status
  OR NEW.household_id IS NOT OLD.household_id
BEGIN
    INSERT OR IGNORE INTO compare_pending (toilet_id)
    SELECT NEW.id WHERE EXISTS (SELECT 1 FROM inspections WHERE toilet_id = NEW.id);
END;

-- trigger household_search_follows_household
CREATE TRIGGER household_search_follows_household AFTER UPDATE OF village_id, group_id ON households
BEGIN
    UPDATE household_search SET village_id = NEW.village_id, group_id = NEW.group_id
    WHERE term IN (SELECT value FROM json_each(OLD.search_terms))
      AND village_id = OLD.village_id AND group_id = OLD.group_id AND household_id = OLD.id;
END;

-- trigger household_search_goes_with_household
CREATE TRIGGER household_search_goes_with_household AFTER DELETE ON households
BEGIN
    DELETE FROM household_search
    WHERE term IN (SELECT value FROM json_each(OLD.search_terms))
      AND village_id = OLD.village_id AND group_id = OLD.group_id AND household_id = OLD.id;
END;

-- trigger households_row_version
CREATE TRIGGER households_row_version AFTER UPDATE ON households
WHEN NEW.row_version = OLD.row_version
BEGIN
    UPDATE households SET row_version = OLD.row_version + 1 WHERE id = NEW.id;
END;

-- trigger pending_settled_by_households
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

-- trigger pending_settled_by_toilets
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

-- trigger rectifications_follow_household
CREATE TRIGGER rectifications_follow_household AFTER UPDATE OF group_id ON households
BEGIN
    UPDATE rectifications SET village_id = NEW.village_id, group_id = NEW.group_id
    WHERE household_id = NEW.id;
END;

-- trigger rectifications_row_version
CREATE TRIGGER rectifications_row_version AFTER UPDATE ON rectifications
WHEN NEW.row_version = OLD.row_version
BEGIN
    UPDATE rectifications SET row_version = OLD.row_version + 1 WHERE id = NEW.id;
END;

-- trigger toilets_first_inspection_added
CREATE TRIGGER toilets_first_inspection_added AFTER INSERT ON inspections
BEGIN
    UPDATE toilets SET first_inspected_on = NEW.inspected_on
    WHERE id = NEW.toilet_id AND (first_inspected_on IS NULL OR first_inspected_on > NEW.inspected_on);
    UPDATE toilets SET first_rechecked_on = NEW.inspected_on
    WHERE NEW.kind = 'town_recheck' AND id = NEW.toilet_id
      AND (first_rechecked_on IS NULL OR first_rechecked_on > NEW.inspected_on);
END;

-- trigger toilets_first_inspection_changed
CREATE TRIGGER toilets_first_inspection_changed AFTER UPDATE OF toilet_id, kind, inspected_on ON inspections
BEGIN
    UPDATE toilets
    SET first_inspected_on = (SELECT min(i.inspected_on) FROM inspections i WHERE i.toilet_id = toilets.id),
        first_rechecked_on = (SELECT min(i.inspected_on) FROM inspections i
                              WHERE i.toilet_id = toilets.id AND i.kind = 'town_recheck')
    WHERE id = OLD.toilet_id OR id = NEW.toilet_id;
END;

-- trigger toilets_first_inspection_removed
CREATE TRIGGER toilets_first_inspection_removed AFTER DELETE ON inspections
BEGIN
    UPDATE toilets
    SET first_inspected_on = (SELECT min(i.inspected_on) FROM inspections i WHERE i.toilet_id = toilets.id),
        first_rechecked_on = (SELECT min(i.inspected_on) FROM inspections i
                              WHERE i.toilet_id = toilets.id AND i.kind = 'town_recheck')
    WHERE id = OLD.toilet_id;
END;

-- trigger toilets_follow_household
CREATE TRIGGER toilets_follow_household AFTER UPDATE OF village_id ON households
WHEN NEW.village_id IS NOT OLD.village_id
BEGIN
    UPDATE toilets SET village_id = NEW.village_id WHERE household_id = NEW.id;
END;

-- trigger toilets_village_when_added
CREATE TRIGGER toilets_village_when_added AFTER INSERT ON toilets
WHEN NEW.village_id IS NULL
BEGIN
    UPDATE toilets SET village_id = (SELECT village_id FROM households WHERE id = NEW.household_id)
    WHERE id = NEW.id;
END;

-- trigger toilets_village_when_moved
CREATE TRIGGER toilets_village_when_moved AFTER UPDATE OF household_id ON toilets
BEGIN
    UPDATE toilets SET village_id = (SELECT village_id FROM households WHERE id = NEW.household_id)
    WHERE id = NEW.id;
END;

-- table accounts
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
, must_change_password INTEGER NOT NULL DEFAULT 0
    CHECK ((must_change_password = 0 OR must_change_password = 1))) STRICT;

-- table audit_log
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
, format INTEGER NOT NULL DEFAULT 1 CHECK ((format = 1 OR format = 2))) STRICT;

-- table change_log
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

-- table compare_counts
CREATE TABLE compare_counts (
    village_id        INTEGER NOT NULL,
    group_id          INTEGER NOT NULL,
    rated_set         TEXT,
    toilets           INTEGER NOT NULL,
    baseline_compared INTEGER NOT NULL,
    baseline_differs  INTEGER NOT NULL,
    between_checks    INTEGER NOT NULL
) STRICT;

-- table compare_differences
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

-- table compare_pending
CREATE TABLE compare_pending (
    toilet_id INTEGER PRIMARY KEY
) STRICT;

-- table compare_self_checks
CREATE TABLE compare_self_checks (
    staff_set    TEXT NOT NULL,
    toilet_id    INTEGER NOT NULL,
    household_id INTEGER NOT NULL,
    PRIMARY KEY (staff_set, toilet_id)
) STRICT;

-- table compare_toilets
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

-- table household_search
CREATE TABLE "household_search" (
    term         TEXT NOT NULL,
    household_id INTEGER NOT NULL,
    village_id   INTEGER NOT NULL,
    group_id     INTEGER NOT NULL,
    PRIMARY KEY (term, village_id, group_id, household_id)
) STRICT, WITHOUT ROWID;

-- table households
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
    updated_at     TEXT NOT NULL, id_number_rev TEXT, no_toilet INTEGER NOT NULL DEFAULT 0 CHECK (no_toilet = 0 OR no_toilet = 1), row_version INTEGER NOT NULL DEFAULT 1, search_terms TEXT NOT NULL DEFAULT '[]',
    FOREIGN KEY (group_id, village_id) REFERENCES village_groups(id, village_id)
) STRICT;

-- table import_batches
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
, rows_flagged INTEGER NOT NULL DEFAULT 0) STRICT;

-- table inspection_members
CREATE TABLE inspection_members (
    inspection_id INTEGER NOT NULL REFERENCES inspections(id),
    staff_id      INTEGER NOT NULL REFERENCES staff(id),
    PRIMARY KEY (inspection_id, staff_id)
) STRICT, WITHOUT ROWID;

-- table inspection_photos
CREATE TABLE inspection_photos (
    inspection_id INTEGER NOT NULL REFERENCES inspections(id),
    hash          TEXT NOT NULL REFERENCES photos(hash),
    PRIMARY KEY (inspection_id, hash)
) STRICT, WITHOUT ROWID;

-- table inspection_problems
CREATE TABLE inspection_problems (
    id            INTEGER PRIMARY KEY,
    inspection_id INTEGER NOT NULL REFERENCES inspections(id),
    item_id       INTEGER NOT NULL REFERENCES problem_items(id),
    stops_use     INTEGER NOT NULL CHECK ((stops_use = 0 OR stops_use = 1)),
    cause         TEXT CHECK (cause = 'construction' OR cause = 'product_quality' OR cause = 'unsuitable_mode' OR cause = 'other'),
    remarks       TEXT,
    UNIQUE (inspection_id, item_id)
) STRICT;

-- table inspections
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
, account_id INTEGER REFERENCES accounts(id)) STRICT;

-- table notices
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

-- table pending_checks
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

-- table photos
CREATE TABLE photos (
    hash          TEXT PRIMARY KEY,
    file_name     TEXT NOT NULL,
    original_name TEXT NOT NULL,
    bytes         INTEGER NOT NULL,
    added_at      TEXT NOT NULL
, taken_at TEXT) STRICT, WITHOUT ROWID;

-- table problem_items
CREATE TABLE problem_items (
    id         INTEGER PRIMARY KEY,
    part       TEXT NOT NULL CHECK (part = 'house' OR part = 'pan' OR part = 'tank' OR part = 'pipe' OR part = 'emptying' OR part = 'usage'),
    name       TEXT NOT NULL CHECK (length(trim(name)) > 0),
    stops_use  INTEGER NOT NULL CHECK ((stops_use = 0 OR stops_use = 1)),
    sort_order INTEGER NOT NULL,
    retired    INTEGER NOT NULL DEFAULT 0 CHECK ((retired = 0 OR retired = 1)),
    UNIQUE (part, name)
) STRICT;

-- table rectification_events
CREATE TABLE rectification_events (
    id               INTEGER PRIMARY KEY,
    rectification_id INTEGER NOT NULL REFERENCES rectifications(id),
    kind             TEXT NOT NULL CHECK (kind = 'opened' OR kind = 'category' OR kind = 'plan' OR kind = 'move' OR kind = 'reopen' OR kind = 'recheck' OR kind = 'delivered' OR kind = 'receipt' OR kind = 'escalated' OR kind = 'reply'),
    from_state       TEXT,
    to_state         TEXT,
    actor_id         INTEGER NOT NULL REFERENCES staff(id),
    happened_on      TEXT NOT NULL,
    recorded_at      TEXT NOT NULL,
    remark           TEXT,
    verifier_id      INTEGER REFERENCES staff(id),
    photo_hash       TEXT REFERENCES photos(hash)
, account_id INTEGER REFERENCES accounts(id)) STRICT;

-- table rectifications
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
, head_confirmed INTEGER CHECK (head_confirmed = 0 OR head_confirmed = 1), unconfirmed_reason TEXT, acceptance_scan TEXT REFERENCES photos(hash), clear_inspection_id INTEGER REFERENCES inspections(id), opened_on TEXT, escalated_on TEXT, escalation_reason TEXT, escalation_reply TEXT, replied_on TEXT, row_version INTEGER NOT NULL DEFAULT 1) STRICT;

-- table settings
CREATE TABLE settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) STRICT;

-- table signoffs
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

-- table spot_sample_items
CREATE TABLE spot_sample_items (
    sample_id  INTEGER NOT NULL REFERENCES spot_samples(id),
    seq        INTEGER NOT NULL,
    toilet_id  INTEGER NOT NULL REFERENCES toilets(id),
    village_id INTEGER NOT NULL,
    is_problem INTEGER NOT NULL CHECK ((is_problem = 0 OR is_problem = 1)),
    PRIMARY KEY (sample_id, seq)
) STRICT, WITHOUT ROWID;

-- table spot_samples
CREATE TABLE spot_samples (
    id          INTEGER PRIMARY KEY,
    created_at  TEXT NOT NULL,
    created_by  TEXT NOT NULL,
    seed        INTEGER NOT NULL,
    method      TEXT NOT NULL,
    params      TEXT NOT NULL,
    population  INTEGER NOT NULL,
    size        INTEGER NOT NULL
, seed_drawn INTEGER NOT NULL DEFAULT 0
    CHECK ((seed_drawn = 0 OR seed_drawn = 1))) STRICT;

-- table staff
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

-- table toilets
CREATE TABLE toilets (
    id                 INTEGER PRIMARY KEY,
    household_id       INTEGER NOT NULL REFERENCES households(id),
    seq                INTEGER NOT NULL CHECK (seq >= 1),
    tech_mode          TEXT CHECK (tech_mode = 'three_compartment' OR tech_mode = 'double_urn' OR tech_mode = 'three_urn' OR tech_mode = 'sewer' OR tech_mode = 'urine_diversion' OR tech_mode = 'double_pit' OR tech_mode = 'biogas' OR tech_mode = 'central_collection' OR tech_mode = 'other_sanitary' OR tech_mode = 'other' OR tech_mode = 'non_sanitary' OR tech_mode = 'no_toilet'),
    location           TEXT CHECK ((location = 'indoor' OR location = 'yard' OR location = 'outside' OR location = 'other')),
    build_year         INTEGER CHECK (build_year BETWEEN 1949 AND 2100),
    subsidized         INTEGER CHECK ((subsidized = 0 OR subsidized = 1)),
    subsidy_year       INTEGER CHECK (subsidy_year BETWEEN 1949 AND 2100),
    subsidy_amount_fen INTEGER CHECK (subsidy_amount_fen >= 0),
    project_name       TEXT,
    is_sanitary        INTEGER CHECK ((is_sanitary = 0 OR is_sanitary = 1)),
    use_status         TEXT CHECK ((use_status = 'in_use' OR use_status = 'idle' OR use_status = 'unusable' OR use_status = 'demolished')),
    baseline_source    TEXT NOT NULL CHECK ((baseline_source = 'survey' OR baseline_source = 'subsidy' OR baseline_source = 'field')),
    created_at         TEXT NOT NULL,
    updated_at         TEXT NOT NULL, first_inspected_on TEXT, first_rechecked_on TEXT, village_id INTEGER,
    UNIQUE (household_id, seq)
) STRICT;

-- table unknown_logins
CREATE TABLE unknown_logins (
    name_key     TEXT PRIMARY KEY,
    failures     INTEGER NOT NULL,
    locked_until TEXT,
    last_at      TEXT NOT NULL
) STRICT;

-- table village_groups
CREATE TABLE village_groups (
    id         INTEGER PRIMARY KEY,
    village_id INTEGER NOT NULL REFERENCES villages(id),
    name       TEXT NOT NULL,
    number     INTEGER,
    sort_order INTEGER NOT NULL DEFAULT 0,
    UNIQUE (village_id, name),
    UNIQUE (id, village_id)
) STRICT;

-- table villages
CREATE TABLE villages (
    id         INTEGER PRIMARY KEY,
    name       TEXT NOT NULL UNIQUE,
    sort_order INTEGER NOT NULL DEFAULT 0
) STRICT;

-- index audit_log_by_actor
CREATE INDEX audit_log_by_actor ON audit_log(actor, id);

-- index audit_log_by_entity
CREATE INDEX audit_log_by_entity ON audit_log(entity, entity_id, id);

-- index change_log_by_entity
CREATE INDEX change_log_by_entity ON change_log(entity, entity_id, id);

-- index compare_counts_by_group
CREATE INDEX compare_counts_by_group ON compare_counts(group_id);

-- index compare_self_checks_by_toilet
CREATE INDEX compare_self_checks_by_toilet ON compare_self_checks(toilet_id);

-- index compare_toilets_by_group
CREATE INDEX compare_toilets_by_group ON compare_toilets(group_id, village_id, rated_set, baseline_compared, baseline_differs, between_checks);

-- index compare_toilets_by_village
CREATE INDEX compare_toilets_by_village ON compare_toilets(village_id, rated_set);

-- index households_by_group
CREATE INDEX households_by_group ON households(group_id, id);

-- index households_by_id_rev
CREATE INDEX households_by_id_rev ON households(id_number_rev) WHERE id_number_rev IS NOT NULL;

-- index households_by_village
CREATE INDEX households_by_village ON households(village_id, group_id, id);

-- index households_id_number
CREATE UNIQUE INDEX households_id_number ON households(id_number) WHERE id_number IS NOT NULL;

-- index households_no_toilet
CREATE INDEX households_no_toilet ON households(village_id) WHERE no_toilet = 1;

-- index inspection_members_by_staff
CREATE INDEX inspection_members_by_staff ON inspection_members(staff_id, inspection_id);

-- index inspections_by_toilet
CREATE INDEX inspections_by_toilet ON inspections(toilet_id, id);

-- index pending_checks_open
CREATE INDEX pending_checks_open ON pending_checks(household_id, toilet_id, field) WHERE resolved_at IS NULL;

-- index pending_checks_open_toilet
CREATE INDEX pending_checks_open_toilet ON pending_checks(toilet_id) WHERE resolved_at IS NULL;

-- index rectification_events_by_case
CREATE INDEX rectification_events_by_case ON rectification_events(rectification_id, id);

-- index rectifications_by_household
CREATE INDEX rectifications_by_household ON rectifications(household_id);

-- index rectifications_by_place
CREATE INDEX rectifications_by_place ON rectifications(village_id, group_id, state, planned_month);

-- index rectifications_by_toilet
CREATE INDEX rectifications_by_toilet ON rectifications(toilet_id);

-- index rectifications_escalated
CREATE INDEX rectifications_escalated ON rectifications(escalated_on) WHERE escalated_on IS NOT NULL;

-- index signoffs_active
CREATE UNIQUE INDEX signoffs_active ON signoffs(inspection_id, step) WHERE cleared_at IS NULL;

-- index signoffs_by_inspection
CREATE INDEX signoffs_by_inspection ON signoffs(inspection_id, step);

-- index toilets_by_village_first_inspections
CREATE INDEX toilets_by_village_first_inspections ON toilets(village_id, first_inspected_on, first_rechecked_on);
