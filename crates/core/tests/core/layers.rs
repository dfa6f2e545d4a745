//! The core's layer rule, read from its source: folders by domain, each importing only from
//! the layers below it (or from within itself), and no cycle between modules.
//!
//! ```text
//! error, fast_map, model, rng, search_keys   the base: everyone may use them
//! store      ← access ← places ← fieldwork ← reports ← print ← demo
//!                              ← ledger_io ↙
//! ```
//! `ledger_io` stands beside `fieldwork` (neither uses the other); `reports` may use it.
//! `lib.rs` only declares the folders and re-exports short paths for the app and the CLI;
//! inside the core every path names its folder (`crate::store::audit`, never `crate::audit`).

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// The folders and the base modules, with their rank: a module may use what is ranked lower,
/// and what is in its own folder.
const RANKS: &[(&str, u8)] = &[
    ("error", 0),
    ("fast_map", 0),
    ("model", 0),
    ("rng", 0),
    ("search_keys", 0),
    ("text", 0),
    ("store", 1),
    ("access", 2),
    ("places", 3),
    ("fieldwork", 4),
    ("ledger_io", 4),
    ("reports", 5),
    ("print", 6),
    ("demo", 7),
];

type Module = Vec<String>;

fn module_of(relative: &Path) -> Module {
    let mut parts: Vec<String> = relative
        .iter()
        .map(|p| p.to_string_lossy().into_owned())
        .collect();
    let last = parts.pop().unwrap_or_default();
    let stem = last.trim_end_matches(".rs");
    if stem != "mod" && stem != "lib" {
        parts.push(stem.to_string());
    }
    parts
}

/// The source without comments and without its `#[cfg(test)]` module (tests may reach
/// anywhere; they are not part of the layering).
fn code_of(source: &str) -> String {
    let body = match source.find("#[cfg(test)]\nmod tests") {
        Some(at) => &source[..at],
        None => source,
    };
    body.lines()
        .map(|l| match l.find("//") {
            Some(i) if !l[..i].contains('"') => &l[..i],
            _ => l,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// `a::b::{c, d::e}` → `a::b::c`, `a::b::d::e`.
fn expand(path: &str, out: &mut Vec<String>) {
    let Some(open) = path.find('{') else {
        out.push(path.trim().trim_end_matches("::").to_string());
        return;
    };
    let prefix = &path[..open];
    let close = path.rfind('}').unwrap_or(path.len());
    let inner = &path[open + 1..close];
    let mut depth = 0;
    let mut start = 0;
    for (i, c) in inner.char_indices() {
        match c {
            '{' => depth += 1,
            '}' => depth -= 1,
            ',' if depth == 0 => {
                expand(&format!("{prefix}{}", &inner[start..i]), out);
                start = i + 1;
            }
            _ => {}
        }
    }
    if !inner[start..].trim().is_empty() {
        expand(&format!("{prefix}{}", &inner[start..]), out);
    }
}

/// The paths a piece of code names, starting with `crate::`, `super::` or `self::`, each split
/// into segments (`self` and `*` dropped).
fn named_paths(code: &str, children: &BTreeSet<String>) -> Vec<Vec<String>> {
    let bytes = code.as_bytes();
    let mut found = Vec::new();
    let mut i = 0;
    while i < code.len() {
        let rest = &code[i..];
        let starts = ["crate::", "super::", "self::"]
            .iter()
            .any(|p| rest.starts_with(p))
            || children.iter().any(|c| rest.starts_with(&format!("{c}::")));
        let boundary = i == 0
            || !(bytes[i - 1].is_ascii_alphanumeric()
                || bytes[i - 1] == b'_'
                || bytes[i - 1] == b':');
        if starts && boundary {
            // Take the path: identifiers, `::`, and a balanced `{…}` group.
            let mut end = i;
            let mut depth = 0;
            for (k, c) in rest.char_indices() {
                let ok = c.is_alphanumeric()
                    || c == '_'
                    || c == ':'
                    || c == '*'
                    || (depth > 0 && (c == ',' || c.is_whitespace()));
                if c == '{' && rest[..k].ends_with("::") {
                    depth += 1;
                } else if c == '}' && depth > 0 {
                    depth -= 1;
                } else if !ok {
                    break;
                }
                end = i + k + c.len_utf8();
                if depth == 0 && c == '}' {
                    break;
                }
            }
            let mut paths = Vec::new();
            expand(&code[i..end], &mut paths);
            for p in paths {
                let segs: Vec<String> = p
                    .split("::")
                    .map(|s| s.split(" as ").next().unwrap_or("").trim().to_string())
                    .filter(|s| !s.is_empty() && s != "*" && s != "self")
                    .collect();
                found.push(segs);
            }
            i = end.max(i + 1);
        } else {
            i += rest.chars().next().map_or(1, char::len_utf8);
        }
    }
    found
}

/// What the rule finds wrong in a set of files (path relative to `src/`, text).
pub fn check(files: &[(std::path::PathBuf, String)]) -> Vec<String> {
    let modules: BTreeSet<Module> = files.iter().map(|(p, _)| module_of(p)).collect();
    let rank = |m: &Module| {
        RANKS
            .iter()
            .find(|(n, _)| m.first().map(String::as_str) == Some(*n))
            .map(|(_, r)| *r)
    };
    let mut problems = Vec::new();
    let mut edges: BTreeMap<Module, BTreeSet<Module>> = BTreeMap::new();
    for (path, source) in files {
        let me = module_of(path);
        if me.is_empty() {
            continue; // lib.rs
        }
        let Some(my_rank) = rank(&me) else {
            problems.push(format!(
                "{}: {} is neither a folder of the layer rule nor a base module",
                path.display(),
                me.join("::")
            ));
            continue;
        };
        let code = code_of(source);
        let children: BTreeSet<String> = code
            .lines()
            .filter_map(|l| {
                let l = l
                    .trim()
                    .trim_start_matches("pub ")
                    .trim_start_matches("pub(crate) ");
                l.strip_prefix("mod ")?
                    .strip_suffix(';')
                    .map(str::to_string)
            })
            .collect();
        for segs in named_paths(&code, &children) {
            let Some(head) = segs.first() else { continue };
            // `super` is the parent of the module (for `x.rs` and for `x/mod.rs` alike).
            // `super` pops from the module itself (below), `self` and a child declared here
            // start from it.
            let mut full: Module = match head.as_str() {
                "crate" => Vec::new(),
                _ => me.clone(),
            };
            let mut rest = &segs[..];
            if head == "crate" || head == "self" {
                rest = &segs[1..];
            }
            while let Some(first) = rest.first() {
                if first == "super" {
                    full.pop();
                    rest = &rest[1..];
                } else {
                    break;
                }
            }
            full.extend(rest.iter().cloned());
            // `crate::Error` and `crate::Result` are the base's, re-exported at the root.
            if head == "crate"
                && matches!(rest.first().map(String::as_str), Some("Error" | "Result"))
            {
                full = vec!["error".to_string()];
            }
            if head == "super" && segs.len() == 1 {
                continue;
            }
            // The longest prefix that is a module.
            let target = (1..=full.len())
                .rev()
                .map(|n| full[..n].to_vec())
                .find(|m| modules.contains(m));
            let Some(target) = target else {
                if head == "crate" {
                    problems.push(format!(
                        "{}: crate::{} names no module by its folder (use the folder path, e.g. crate::store::audit)",
                        path.display(),
                        rest.join("::")
                    ));
                }
                continue;
            };
            if target == me {
                continue;
            }
            let Some(their_rank) = rank(&target) else {
                continue;
            };
            let same_folder = me.first() == target.first();
            if !same_folder && their_rank >= my_rank {
                problems.push(format!(
                    "{}: {} uses {} — a layer may use only the layers below it",
                    path.display(),
                    me.join("::"),
                    target.join("::")
                ));
            }
            edges.entry(me.clone()).or_default().insert(target);
        }
    }
    // No cycles between modules.
    let mut state: BTreeMap<Module, u8> = BTreeMap::new();
    fn visit(
        m: &Module,
        edges: &BTreeMap<Module, BTreeSet<Module>>,
        state: &mut BTreeMap<Module, u8>,
        stack: &mut Vec<Module>,
        problems: &mut Vec<String>,
    ) {
        state.insert(m.clone(), 1);
        stack.push(m.clone());
        for n in edges.get(m).into_iter().flatten() {
            match state.get(n).copied().unwrap_or(0) {
                0 => visit(n, edges, state, stack, problems),
                1 => {
                    let from = stack.iter().position(|s| s == n).unwrap_or(0);
                    let cycle: Vec<String> = stack[from..]
                        .iter()
                        .chain(std::iter::once(n))
                        .map(|s| s.join("::"))
                        .collect();
                    problems.push(format!("a cycle: {}", cycle.join(" → ")));
                }
                _ => {}
            }
        }
        stack.pop();
        state.insert(m.clone(), 2);
    }
    let all: Vec<Module> = edges.keys().cloned().collect();
    for m in all {
        if state.get(&m).copied().unwrap_or(0) == 0 {
            visit(&m, &edges, &mut state, &mut Vec::new(), &mut problems);
        }
    }
    problems
}

fn sources(dir: &Path, root: &Path, out: &mut Vec<(std::path::PathBuf, String)>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            sources(&path, root, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            let text = std::fs::read_to_string(&path).unwrap();
            out.push((path.strip_prefix(root).unwrap().to_path_buf(), text));
        }
    }
}

#[test]
fn the_core_keeps_its_layers_and_has_no_cycles() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    sources(&root, &root, &mut files);
    assert!(files.len() > 30, "the core's sources are found");
    let problems = check(&files);
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// Where a source reads the clock (outside its tests and comments).
pub fn clock_reads(files: &[(std::path::PathBuf, String)]) -> Vec<String> {
    let mut found = Vec::new();
    for (path, source) in files {
        for (n, line) in code_of(source).lines().enumerate() {
            if ["Local::now", "Utc::now", "SystemTime::now", "Instant::now"]
                .iter()
                .any(|c| line.contains(c))
            {
                found.push(format!("{}:{}: {}", path.display(), n + 1, line.trim()));
            }
        }
    }
    found
}

/// Time comes from the caller: the core is given `now`, so a test can fix it.
#[test]
fn the_core_never_reads_the_clock() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    sources(&root, &root, &mut files);
    assert!(files.len() > 30, "the core's sources are found");
    let reads = clock_reads(&files);
    assert!(reads.is_empty(), "{}", reads.join("\n"));
    let planted = [(
        std::path::PathBuf::from("store/x.rs"),
        "fn f() { let t = chrono::Local::now(); }\n#[cfg(test)]\nmod tests { fn g() { chrono::Local::now(); } }"
            .to_string(),
    )];
    assert_eq!(
        clock_reads(&planted),
        vec!["store/x.rs:1: fn f() { let t = chrono::Local::now(); }"]
    );
}

#[test]
fn the_rule_finds_an_upward_import_a_cycle_and_a_root_path() {
    let file = |p: &str, s: &str| (std::path::PathBuf::from(p), s.to_string());
    let files = vec![
        file("lib.rs", "pub mod store;\npub mod print;\npub use store::audit;"),
        file("store/mod.rs", "pub mod audit;\npub mod db;"),
        // Upward: the store uses print.
        file("store/audit.rs", "use crate::{print::notice, error::Result};"),
        // A cycle inside the store: db → audit → … and audit ← db.
        file("store/db.rs", "fn f() { super::audit::append(); crate::store::backup::x(); }"),
        file("store/backup.rs", "use crate::store::db;\nuse crate::audit;"),
        file("print/mod.rs", "mod notice;\npub use notice::notice;\nfn town_title() {}"),
        // A child using its parent that re-exports it: a cycle too.
        file("print/notice.rs", "use crate::store::audit::append;\nuse super::town_title;\nfn f() -> crate::Result<()> {}"),
        file("error.rs", ""),
    ];
    let problems = check(&files).join("\n");
    assert!(
        problems.contains("store::audit uses print::notice"),
        "{problems}"
    );
    assert!(
        problems.contains("a cycle: store::backup → store::db → store::backup"),
        "{problems}"
    );
    assert!(
        problems.contains("crate::audit names no module"),
        "{problems}"
    );
    assert!(
        problems.contains("a cycle: print → print::notice → print"),
        "{problems}"
    );
    assert!(
        !problems.contains("print::notice uses"),
        "downward is fine: {problems}"
    );
    assert!(
        !problems.contains("crate::Result"),
        "the base's Result: {problems}"
    );
}
