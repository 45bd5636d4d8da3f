//! Micro-benchmarks of the core's hot paths: reading command lines, writing replies, and the
//! lines of LIST, MLSD and NLST listings. `cargo bench -p ferroftp-proto`; compare runs
//! before and after a change to one of these paths.

use std::hint::black_box;
use std::time::{Duration, SystemTime};

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use ferroftp_proto::catalogue::{Computed, Msg};
use ferroftp_proto::listing::{self, EntryInfo, EntryKind, Glob, MlstFacts};
use ferroftp_proto::parser::{parse_line, LineBuffer, LineEvent};
use ferroftp_proto::perms::Permissions;

/// A file entry as a directory listing meets it.
fn entry(i: usize) -> EntryInfo {
    EntryInfo {
        name: format!("report-{i:05}.csv"),
        kind: EntryKind::File,
        size: 1_234_567 + i as u64,
        modified: Some(SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000 + i as u64)),
        mode: Some(0o644),
        unique: Some(format!("801.{i:x}")),
    }
}

fn parsing(c: &mut Criterion) {
    let mut g = c.benchmark_group("parse");
    g.bench_function("parse_line RETR", |b| {
        b.iter(|| parse_line(black_box(b"RETR dir/report-00042.csv")))
    });
    // A session's worth of pipelined commands through the line buffer.
    let burst: Vec<u8> = (0..100)
        .flat_map(|i| format!("SIZE report-{i:05}.csv\r\nNOOP\r\n").into_bytes())
        .collect();
    g.throughput(Throughput::Bytes(burst.len() as u64));
    g.bench_function("LineBuffer 200 lines", |b| {
        b.iter(|| {
            let mut lines = LineBuffer::new();
            lines.extend(black_box(&burst));
            let mut n = 0;
            while let Some(ev) = lines.next_event() {
                if let LineEvent::Line(l) = ev {
                    n += usize::from(parse_line(&l).is_ok());
                }
            }
            n
        })
    });
    g.finish();
}

fn replies(c: &mut Criterion) {
    let mut g = c.benchmark_group("reply");
    g.bench_function("fixed 226 to_wire", |b| {
        b.iter(|| black_box(Msg::TransferComplete).reply().to_wire())
    });
    g.bench_function("computed 213 size to_wire", |b| {
        b.iter(|| Computed::Size(black_box(1_234_567)).reply().to_wire())
    });
    g.finish();
}

fn listings(c: &mut Criterion) {
    let entries: Vec<EntryInfo> = (0..1000).map(entry).collect();
    let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_100_000);
    let facts = MlstFacts::default();
    let perms = Permissions::ALL;
    let mut g = c.benchmark_group("listing (1,000 entries)");
    g.throughput(Throughput::Elements(entries.len() as u64));
    g.bench_function("LIST lines", |b| {
        b.iter(|| {
            entries
                .iter()
                .map(|e| listing::list_line(e, now).len())
                .sum::<usize>()
        })
    });
    g.bench_function("MLSD lines", |b| {
        b.iter(|| {
            entries
                .iter()
                .map(|e| listing::mlsx_line(e, &facts, &perms).len())
                .sum::<usize>()
        })
    });
    // What a listing actually runs: lines written into one reused buffer.
    let times = listing::ListTimes::new(now);
    let mut buf = Vec::with_capacity(128 * 1024);
    g.bench_function("LIST lines into a buffer", |b| {
        b.iter(|| {
            buf.clear();
            for e in &entries {
                listing::write_list_line(&mut buf, e, &times);
                buf.extend_from_slice(b"\r\n");
            }
            buf.len()
        })
    });
    g.bench_function("MLSD lines into a buffer", |b| {
        b.iter(|| {
            buf.clear();
            for e in &entries {
                listing::write_mlsx_line(&mut buf, e, &facts, &perms);
                buf.extend_from_slice(b"\r\n");
            }
            buf.len()
        })
    });
    g.bench_function("NLST lines into a buffer", |b| {
        b.iter(|| {
            buf.clear();
            for e in &entries {
                listing::write_nlst_line(&mut buf, &e.name);
                buf.extend_from_slice(b"\r\n");
            }
            buf.len()
        })
    });
    let glob = Glob::new("report-*[13579].csv").ok();
    g.bench_function("NLST glob filter", |b| {
        b.iter(|| {
            entries
                .iter()
                .filter(|e| glob.as_ref().is_some_and(|g| g.matches(&e.name)))
                .count()
        })
    });
    g.finish();
}

criterion_group!(benches, parsing, replies, listings);
criterion_main!(benches);
