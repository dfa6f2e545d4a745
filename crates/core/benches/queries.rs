//! Benchmark of the household browser's queries on a district-sized demo town
//! (262,000 households ≈ 300,000 toilets). Run with `cargo bench -p huce-core`.
//!
//! Reports median and p95 per query; the target is p95 ≤ 10 ms for every query in the core.
//! Set `HUCE_BENCH_HOUSEHOLDS` for another size. The database is built once and kept under
//! `target/huce-bench/` for later runs.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use huce_core::demo::{self, DemoOptions};
use huce_core::households::{self, Scope};
use huce_core::{db, rng::Rng};

/// Makes the next query of a benchmark from the shared generator.
type QueryMaker = Box<dyn FnMut(&mut Rng) -> (Scope, String)>;

const TARGET_P95: Duration = Duration::from_millis(10);

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let idx = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[idx]
}

fn report(name: &str, mut samples: Vec<Duration>) -> bool {
    samples.sort();
    let median = percentile(&samples, 0.5);
    let p95 = percentile(&samples, 0.95);
    let ok = p95 <= TARGET_P95;
    println!(
        "{name:<40} n={:<5} median {:>8.3} ms   p95 {:>8.3} ms   {}",
        samples.len(),
        median.as_secs_f64() * 1e3,
        p95.as_secs_f64() * 1e3,
        if ok { "ok (≤ 10 ms)" } else { "OVER TARGET" }
    );
    ok
}

fn time<T>(f: impl FnOnce() -> T) -> (Duration, T) {
    let t = Instant::now();
    let out = f();
    (t.elapsed(), out)
}

fn main() {
    // `cargo bench` passes `--bench`; ignore arguments.
    let households: usize = std::env::var("HUCE_BENCH_HOUSEHOLDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(262_000);
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/huce-bench");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(format!("town-{households}-v{}.db", db::SCHEMA_VERSION));
    if !path.exists() {
        let tmp = path.with_extension("tmp");
        let _ = std::fs::remove_file(&tmp);
        let mut conn = db::open(&tmp).unwrap();
        let (t, s) = time(|| {
            demo::generate(
                &mut conn,
                DemoOptions {
                    households,
                    seed: 1,
                },
                "2026-11-29T00:00:00+08:00",
            )
            .unwrap()
        });
        drop(conn);
        for ext in ["tmp-wal", "tmp-shm"] {
            let _ = std::fs::remove_file(path.with_extension(ext));
        }
        std::fs::rename(&tmp, &path).unwrap();
        println!(
            "built demo town: {} households, {} toilets in {:.1} s",
            s.households,
            s.toilets,
            t.as_secs_f64()
        );
    }

    let mut all_ok = true;
    let mut samples = Vec::new();
    for _ in 0..30 {
        let (t, conn) = time(|| db::open(&path).unwrap());
        samples.push(t);
        drop(conn);
    }
    all_ok &= report("open database", samples);

    let conn = db::open(&path).unwrap();
    let (t, tree) = time(|| households::tree(&conn).unwrap());
    println!(
        "(village tree with counts, once: {:.1} ms; {} villages, {} households, {} toilets)",
        t.as_secs_f64() * 1e3,
        tree.villages.len(),
        tree.households,
        tree.toilets
    );
    let villages: Vec<i64> = tree.villages.iter().map(|v| v.id).collect();

    let mut rng = Rng::new(99);
    let mut bench = |name: &str, n: usize, mut make: QueryMaker| {
        let mut samples = Vec::with_capacity(n);
        let mut hits = 0i64;
        for _ in 0..n {
            let (scope, q) = make(&mut rng);
            let (t, page) = time(|| households::list(&conn, scope, &q, 0, 100).unwrap());
            hits += page.total;
            samples.push(t);
        }
        let ok = report(name, samples);
        println!("{:<40} (average matches {:.1})", "", hits as f64 / n as f64);
        ok
    };
    let vs = villages.clone();
    all_ok &= bench(
        "village households, first page",
        300,
        Box::new(move |r| (Scope::Village(r.pick(&vs)), String::new())),
    );
    let parts = [
        "建国", "秀英", "德明", "光荣", "志强", "玉兰", "明华", "世华", "长春", "桂芳",
    ];
    all_ok &= bench(
        "2-character name part, whole town",
        300,
        Box::new(move |r| (Scope::Town, r.pick(&parts).to_string())),
    );
    let initials = [
        "zjg", "lxy", "wdm", "cgr", "yzq", "zyl", "lmh", "hsh", "zcc", "tgf", "zj", "lm",
    ];
    all_ok &= bench(
        "pinyin initials, whole town",
        300,
        Box::new(move |r| (Scope::Town, r.pick(&initials).to_string())),
    );
    all_ok &= bench(
        "ID number tail (4 digits), whole town",
        300,
        Box::new(|r| (Scope::Town, format!("{:04}", r.below(10_000)))),
    );
    let vs = villages.clone();
    all_ok &= bench(
        "pinyin initials within a village",
        300,
        Box::new(move |r| (Scope::Village(r.pick(&vs)), "zj".to_string())),
    );
    println!(
        "{}",
        if all_ok {
            "all queries within target"
        } else {
            "SOME QUERIES OVER TARGET"
        }
    );
}
