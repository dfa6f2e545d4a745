//! The district-sized demo file the benchmarks share (262,000 households ≈ 300,000 toilets, or
//! `HUCE_BENCH_HOUSEHOLDS`), built once per schema version (and form of search keys) under `target/huce-bench/`.
//!
//! Included by path (`#[path = …] mod district;`) in the benchmarks that use it.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::time::Instant;

use huce_core::db;
use huce_core::demo::{self, DemoOptions};

/// The file, built now when this schema version has none yet (several minutes).
pub fn district_file(dir: &Path) -> PathBuf {
    let households: usize = std::env::var("HUCE_BENCH_HOUSEHOLDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(262_000);
    std::fs::create_dir_all(dir).unwrap();
    // `k2`: the search keys as written since #19 (two-character parts and the last character);
    // a file of the same schema version with the earlier keys is not measured again.
    let path = dir.join(format!("town-{households}-v{}-k2.db", db::SCHEMA_VERSION));
    if !path.exists() {
        let tmp = path.with_extension("tmp");
        let _ = std::fs::remove_file(&tmp);
        let mut conn = db::open(&tmp, chrono::Local::now().naive_local()).unwrap();
        let started = Instant::now();
        let s = demo::generate(
            &mut conn,
            DemoOptions {
                households,
                seed: 1,
            },
            "2026-11-29T00:00:00+08:00",
        )
        .unwrap();
        drop(conn);
        for ext in ["tmp-wal", "tmp-shm"] {
            let _ = std::fs::remove_file(path.with_extension(ext));
        }
        std::fs::rename(&tmp, &path).unwrap();
        println!(
            "built demo town: {} households, {} toilets in {:.1} s",
            s.households,
            s.toilets,
            started.elapsed().as_secs_f64()
        );
    }
    path
}
