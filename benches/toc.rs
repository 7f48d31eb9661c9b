//! Parsing speed of `pg_restore -l -v` listings. Results and the command: BENCHMARKS.md.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};

#[path = "synthetic/tenants.rs"]
mod tenants;

fn parse_listing(c: &mut Criterion) {
    let mut group = c.benchmark_group("toc::parse");
    group.sample_size(20);
    for entries in [100_000, 1_000_000] {
        let listing = tenants::listing(entries);
        group.throughput(Throughput::Bytes(listing.len() as u64));
        group.bench_function(
            format!("{entries} entries, {} MB", listing.len() / 1_000_000),
            |b| b.iter(|| restage::toc::parse("synthetic.list", &listing).expect("parses")),
        );
    }
    group.finish();
}

criterion_group!(benches, parse_listing);
criterion_main!(benches);
