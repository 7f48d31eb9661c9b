//! Logical replication between two clusters on this machine: a publisher whose restored table a
//! subscriber consumes, and a subscriber whose restored table a subscription writes. The swap
//! replaces a table's rows with no row change to decode, so restage refuses both (in the
//! preflight, and again in the cutover and the rollback under their locks); README.md's way
//! around (take the table out of the publication and its line out of the listing, swap, add it
//! back and copy it afresh; the same around the rollback) leaves the subscriber equal to the
//! publisher, with changes flowing on.

use std::time::{Duration, Instant};

use super::*;

const SENSOR: &str = "
    CREATE TABLE public.sensor (id bigint PRIMARY KEY, reading int NOT NULL);
    CREATE TABLE public.site (id bigint PRIMARY KEY, name text NOT NULL);
";

/// Every row of public.sensor, as one digest.
const ROWS: &str = "SELECT count(*) || ' ' || md5(coalesce(string_agg(s::text, ',' ORDER BY id), '')) FROM public.sensor s";

/// A publisher of public.sensor (5,000 rows, publication `pub`) and a second cluster with the
/// same tables, not yet subscribed.
fn publisher_and_subscriber() -> (Cluster, Cluster) {
    let publisher = Cluster::start_with(&["wal_level=logical"]);
    publisher.create_database("shop");
    publisher.query("shop", SENSOR);
    publisher.query(
        "shop",
        "INSERT INTO public.sensor SELECT g, g % 97 FROM generate_series(1, 5000) g;
         INSERT INTO public.site VALUES (1, 'north');
         CREATE PUBLICATION pub FOR TABLE public.sensor",
    );
    let subscriber = Cluster::start();
    subscriber.create_database("shop");
    subscriber.query("shop", SENSOR);
    (publisher, subscriber)
}

fn subscribe(publisher: &Cluster, subscriber: &Cluster) {
    subscriber.query(
        "shop",
        &format!(
            "CREATE SUBSCRIPTION sub CONNECTION '{}' PUBLICATION pub",
            publisher.conninfo("shop")
        ),
    );
    in_step(publisher, subscriber, "the subscription's first copy");
}

/// Waits until the subscriber has every table of its subscription and the same rows of
/// public.sensor as the publisher.
#[track_caller]
fn in_step(publisher: &Cluster, subscriber: &Cluster, when: &str) {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let syncing = subscriber.query(
            "shop",
            "SELECT count(*) FROM pg_subscription_rel WHERE srsubstate <> 'r'",
        );
        let (published, subscribed) = (
            publisher.query("shop", ROWS),
            subscriber.query("shop", ROWS),
        );
        if syncing == "0\n" && published == subscribed {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "after {when}, the subscriber does not catch up: publisher {published}, subscriber {subscribed}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn a_published_table_with_a_subscriber_is_refused_and_the_way_around_keeps_it_in_step() {
    let (publisher, subscriber) = publisher_and_subscriber();
    subscribe(&publisher, &subscriber);
    let archive = Archive::make(&publisher, "shop");
    // Production moves on after the dump.
    publisher.query(
        "shop",
        "DELETE FROM public.sensor WHERE id % 10 = 0; UPDATE public.sensor SET reading = -1 WHERE id < 50",
    );
    in_step(&publisher, &subscriber, "the writes after the dump");

    let refused = archive.compile(&publisher, "shop", "published", "  - public.sensor\n", "");
    let said = refused.fails("00-preflight.sql", &[]);
    assert!(
        said.contains("public.sensor is in publication pub, and this database has logical replication slot(s) sub:")
            && said.contains("a subscriber would keep the old rows"),
        "{said}"
    );

    // On the subscriber, the same table is a subscription's target.
    let there = Archive::make(&subscriber, "shop");
    let said = there
        .compile(&subscriber, "shop", "subscribed", "  - public.sensor\n", "")
        .fails("00-preflight.sql", &[]);
    assert!(
        said.contains("public.sensor is written by subscription sub:"),
        "{said}"
    );

    // README.md's way around: out of the publication (and of the subscription), its line out
    // of the listing, the swap, then back in and copied afresh.
    publisher.query("shop", "ALTER PUBLICATION pub DROP TABLE public.sensor");
    subscriber.query("shop", "ALTER SUBSCRIPTION sub REFRESH PUBLICATION");
    let listing = archive.path("db.list");
    let commented: String = std::fs::read_to_string(&listing)
        .expect("listing")
        .lines()
        .map(|line| {
            if line.contains(" PUBLICATION TABLE public pub sensor ") {
                format!(";{line}\n")
            } else {
                format!("{line}\n")
            }
        })
        .collect();
    assert!(
        commented
            .lines()
            .any(|line| line.starts_with(';') && line.contains(" PUBLICATION TABLE ")),
        "no PUBLICATION TABLE line for public.sensor in the listing"
    );
    std::fs::write(&listing, commented).expect("listing written");
    let run = archive.compile(&publisher, "shop", "around", "  - public.sensor\n", "");
    run.ok(&[
        "00-preflight.sql",
        "10-stage.sql",
        "20-load.sh",
        "30-build.sql",
        "40-verify.sql",
        "50-cutover.sh",
    ]);
    publisher.query("shop", "ALTER PUBLICATION pub ADD TABLE public.sensor");
    subscriber.query("shop", "TRUNCATE public.sensor");
    subscriber.query(
        "shop",
        "ALTER SUBSCRIPTION sub REFRESH PUBLICATION WITH (copy_data = true)",
    );
    in_step(&publisher, &subscriber, "the cutover and the new copy");
    assert_eq!(
        publisher.query("shop", "SELECT count(*) FROM public.sensor"),
        "5000\n"
    );
    publisher.query(
        "shop",
        "UPDATE public.sensor SET reading = reading + 1 WHERE id % 7 = 0; INSERT INTO public.sensor VALUES (5001, 1)",
    );
    in_step(&publisher, &subscriber, "writes after the cutover");
    run.ok(&["55-after-cutover.sql"]);

    // Putting the replaced table back is a swap too. With the table back in its publication
    // the rollback's drift check already refuses: the dump it would restore knew nothing of that
    // membership (its line was commented out).
    let said = run.fails("60-rollback.sh", &["-v", &run.approve()]);
    assert!(
        said.contains(
            "membership of public.sensor in publication pub is in production but not in the dump"
        ),
        "{said}"
    );
    in_step(&publisher, &subscriber, "the refused rollback");
    // The same three steps around it; a publication of every table, which no membership
    // names, is what the rollback's own check under its locks still finds.
    publisher.query("shop", "ALTER PUBLICATION pub DROP TABLE public.sensor");
    subscriber.query("shop", "ALTER SUBSCRIPTION sub REFRESH PUBLICATION");
    publisher.query("shop", "CREATE PUBLICATION everything FOR ALL TABLES");
    let said = run.fails("60-rollback.sh", &["-v", &run.approve()]);
    assert!(
        said.contains("restage rollback: logical replication would not see the swap back; 1 problem(s):")
            && said.contains("public.sensor is in publication everything, and this database has logical replication slot(s) sub:"),
        "{said}"
    );
    publisher.query("shop", "DROP PUBLICATION everything");
    run.ok_with(&["60-rollback.sh"], &["-v", &run.approve()]);
    publisher.query("shop", "ALTER PUBLICATION pub ADD TABLE public.sensor");
    subscriber.query("shop", "TRUNCATE public.sensor");
    subscriber.query(
        "shop",
        "ALTER SUBSCRIPTION sub REFRESH PUBLICATION WITH (copy_data = true)",
    );
    in_step(&publisher, &subscriber, "the rollback and the new copy");
    publisher.query(
        "shop",
        "UPDATE public.sensor SET reading = reading - 1 WHERE id % 5 = 0",
    );
    in_step(&publisher, &subscriber, "writes after the rollback");

    run.ok_with(&["70-cleanup.sh"], &["-v", &run.approve()]);
    publisher.query("shop", "DELETE FROM public.sensor WHERE id > 4990");
    in_step(&publisher, &subscriber, "the cleanup and later writes");
}

#[test]
fn a_subscriber_that_appears_after_the_preflight_stops_the_cutover() {
    let (publisher, subscriber) = publisher_and_subscriber();
    let archive = Archive::make(&publisher, "shop");
    let run = archive.compile(
        &publisher,
        "shop",
        "published",
        "  - public.sensor\n  - public.site\n",
        "",
    );
    // A publication nobody subscribes to: nothing to miss.
    run.ok(&[
        "00-preflight.sql",
        "10-stage.sql",
        "20-load.sh",
        "30-build.sql",
        "40-verify.sql",
    ]);
    subscribe(&publisher, &subscriber);
    let before = publisher.query(
        "shop",
        "SELECT relfilenode FROM pg_class WHERE oid = 'public.sensor'::regclass",
    );
    let said = run.fails("50-cutover.sh", &[]);
    assert!(
        said.contains("restage cutover: logical replication would not see the swap; 1 problem(s):")
            && said.contains("public.sensor is in publication pub"),
        "{said}"
    );
    assert!(!said.contains("public.site is"), "{said}");
    assert_eq!(
        publisher.query(
            "shop",
            "SELECT relfilenode FROM pg_class WHERE oid = 'public.sensor'::regclass"
        ),
        before,
        "the cutover changed production"
    );
    publisher.query("shop", "UPDATE public.sensor SET reading = 0 WHERE id = 1");
    in_step(&publisher, &subscriber, "the refused cutover");
}
