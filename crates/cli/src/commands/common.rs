//! What the subcommands share: opening an existing database, the `--village` scope, the name
//! the audit log gives the command line, the current time, writing output files and the
//! benchmarks' `resources:` line.

use std::path::Path;
use std::time::Instant;

use huce_core::households::{self, Scope};
use huce_core::print::Printed;
use huce_core::settings::TownSettings;
use huce_core::{db, Error, Result};

/// Opens a database that must already exist (a typo must not create an empty one).
pub fn open_existing(path: &Path) -> Result<rusqlite::Connection> {
    if !path.exists() {
        return Err(Error::Invalid(format!(
            "找不到数据库文件“{}”。请检查路径是否正确。",
            path.display()
        )));
    }
    let conn = db::open(path, now_local())?;
    huce_core::audit::set_actor(&conn, &cli_actor())?;
    Ok(conn)
}

/// The scope of `--village NAME` (the whole town without it) and its title.
pub fn village_scope(
    conn: &rusqlite::Connection,
    village: Option<String>,
) -> Result<(Scope, String)> {
    let Some(name) = village else {
        let town = TownSettings::load(conn)?;
        return Ok((Scope::Town, format!("{}（全镇）", town.town_name)));
    };
    let tree = households::tree(conn)?;
    let v = tree
        .villages
        .iter()
        .find(|v| v.name == name)
        .ok_or_else(|| {
            Error::Invalid(format!(
                "没有名为“{name}”的行政村。现有：{}。",
                tree.villages
                    .iter()
                    .map(|v| v.name.as_str())
                    .collect::<Vec<_>>()
                    .join("、")
            ))
        })?;
    Ok((Scope::Village(v.id), name))
}

/// The scope of `--village NAME [--group NAME]`: the village's 社 when one is named.
pub fn place_scope(
    conn: &rusqlite::Connection,
    village: Option<String>,
    group: Option<String>,
) -> Result<(Scope, String)> {
    let (scope, title) = village_scope(conn, village)?;
    let (Some(name), Scope::Village(village)) = (group, scope) else {
        return Ok((scope, title));
    };
    let tree = households::tree(conn)?;
    let groups = &tree
        .villages
        .iter()
        .find(|v| v.id == village)
        .expect("the village was found above")
        .groups;
    let g = groups.iter().find(|g| g.name == name).ok_or_else(|| {
        Error::Invalid(format!(
            "{title}没有名为“{name}”的社。现有：{}。",
            groups
                .iter()
                .map(|g| g.name.as_str())
                .collect::<Vec<_>>()
                .join("、")
        ))
    })?;
    Ok((Scope::Group(g.id), format!("{title}{name}")))
}

/// How the audit log names what the command line does: the computer's user.
pub fn cli_actor() -> String {
    let user = std::env::var("USERNAME")
        .or_else(|_| std::env::var("USER"))
        .unwrap_or_else(|_| "未知用户".into());
    format!("命令行（{user}）")
}

/// The current time as records and the audit log stamp it (RFC 3339, to the second).
pub fn now() -> String {
    chrono::Local::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, false)
}

/// The current local time, for backups, file names and printed dates.
pub fn now_local() -> chrono::NaiveDateTime {
    chrono::Local::now().naive_local()
}

/// Today, `YYYY-MM-DD`.
pub fn today() -> String {
    now_local().format("%Y-%m-%d").to_string()
}

/// Creates the folder a new database file goes in (nothing to do for a bare file name).
pub fn create_parent(file: &Path) -> Result<()> {
    match file.parent().filter(|p| !p.as_os_str().is_empty()) {
        Some(parent) => std::fs::create_dir_all(parent).map_err(|source| Error::Io {
            path: parent.to_path_buf(),
            source,
        }),
        None => Ok(()),
    }
}

/// Writes an output file; a failure is the core's I/O error, said in Chinese.
pub fn write_file(path: &Path, contents: impl AsRef<[u8]>) -> Result<()> {
    std::fs::write(path, contents).map_err(|source| Error::Io {
        path: path.to_path_buf(),
        source,
    })
}

/// Writes a printed document and tells its warnings (a photo that could not be placed, …).
pub fn write_printed(path: &Path, printed: &Printed) -> Result<()> {
    printed.save(path)?;
    for w in &printed.warnings {
        eprintln!("注意：{w}");
    }
    Ok(())
}

/// Peak resident memory of this process in kB (Linux; None elsewhere).
pub fn peak_rss_kb() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// The line the benchmarks read: wall time since `started` and the peak memory.
pub fn resources_line(started: Instant, peak_rss_kb: u64) -> String {
    format!(
        "resources: wall_s={:.3} peak_rss_kb={peak_rss_kb}",
        started.elapsed().as_secs_f64()
    )
}
