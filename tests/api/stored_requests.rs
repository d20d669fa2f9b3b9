//! A million stored requests (issue 14, section 2): every statement a list, count or sweep
//! runs must reach its rows through an index on a table large enough that a planner would
//! rather scan it than use an index that does not fit, with PostgreSQL's statistics taken
//! (ANALYZE, as autovacuum would) and SQLite without any (as privacyd leaves it). The figures
//! themselves come from `privacy-bench stored-requests`.

use chrono::TimeZone;
use privacyd::{
    domain::{Action, EmailSearch, ListFilter, ListOrder, RequestId, State, TimeRange},
    proto::privacy::v1 as pb,
    store::{FEW_MATCHES, Planner, RequestCursor, Store},
};
use sqlx::{Connection, Row};

use crate::{
    helpers::{Backend, TestApp, explain_plan},
    on_both_backends,
};

on_both_backends!(
    every_list_and_count_statement_uses_an_index_on_a_loaded_table,
    counts_of_every_request_stay_exact_through_changes_deletes_folds_and_concurrent_writers,
);

#[tokio::test]
async fn sqlite_finds_a_rare_search_through_the_trigram_index_and_matches_what_like_matches() {
    a_rare_search_is_found_through_the_trigram_index(Backend::Sqlite).await;
}

/// Requests loaded: enough that walking the table, or sorting all of it, costs the planner
/// more than the right index would, and quick to load (about a second).
const LOADED: u64 = 20_000;

fn scans_a_table(backend: Backend, plan: &str) -> bool {
    plan.lines().any(|line| match backend {
        Backend::Sqlite => line.contains("SCAN") && !line.contains("INDEX") && !line.contains("CONSTANT ROW"),
        Backend::Postgres => line.contains("Seq Scan"),
    })
}

fn sorts(backend: Backend, plan: &str) -> bool {
    plan.lines().any(|line| match backend {
        Backend::Sqlite => line.contains("TEMP B-TREE FOR ORDER BY"),
        Backend::Postgres => line.trim_start().starts_with("Sort") || line.contains("->  Sort"),
    })
}

/// Every combination of the list's seven filters, in each order, first page and a later one;
/// and every combination of the count's six. Each must use an index and never scan the table;
/// a list whose filters match most of the table must not sort (the index gives the order);
/// and a list of one state must read
/// that state's rows only (by an index that leads with the state: a rare state's page found
/// by walking every request in order is what migration 0019 ended).
async fn every_list_and_count_statement_uses_an_index_on_a_loaded_table(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let now = chrono::Utc::now().timestamp_micros();
    let loaded = privacyd::testing::stored_requests::load(&app.database_url, LOADED, now).await.unwrap();
    assert_eq!(loaded.requests, LOADED);
    sqlx::any::install_default_drivers();
    let mut db = sqlx::AnyConnection::connect(&app.database_url).await.unwrap();
    let at = |micros: i64| chrono::Utc.timestamp_micros(micros).unwrap();
    let cursor = RequestCursor { key: now - 200 * 86_400_000_000, id: RequestId::new() };
    // Every row, for the oracle: what each page must hold, from the filters' plain meaning.
    let rows: Vec<Stored> =
        sqlx::query("SELECT id, action, state, subject_email_key, create_time, due_time FROM privacy_requests")
            .fetch_all(&mut db)
            .await
            .unwrap()
            .iter()
            .map(|row| Stored {
                id: row.get("id"),
                action: row.get("action"),
                state: row.get("state"),
                key: row.get("subject_email_key"),
                create_time: row.get("create_time"),
                due_time: row.get("due_time"),
            })
            .collect();
    let mut checked = 0;
    for combination in 0u32..(1 << 7) {
        let set = |bit: u32| combination & (1 << bit) != 0;
        let filter = ListFilter {
            action: set(0).then_some(Action::Export),
            // The rarest state: walking an index in some order past every other state's rows
            // finds it last.
            state: set(1).then_some(State::Failed),
            subject_email_key: set(2).then(|| "subject17@example.org".to_owned()),
            subject_email_search: EmailSearch::parse_optional("q", if set(3) { "subject17" } else { "" }).unwrap(),
            created: TimeRange::new(
                set(4).then(|| at(now - 400 * 86_400_000_000)),
                set(5).then(|| at(now - 10 * 86_400_000_000)),
                "created_before",
            )
            .unwrap(),
            due_before: set(6).then(|| at(now)),
        };
        // On SQLite a search is written both ways (Planner): the store chooses per search.
        let planners: &[Planner] = match backend {
            Backend::Postgres => &[Planner::Postgres],
            Backend::Sqlite if set(3) && !set(2) => &[Planner::Sqlite, Planner::SqliteTrigrams],
            Backend::Sqlite => &[Planner::Sqlite],
        };
        for (order, after, &planner) in [ListOrder::CreateTimeDesc, ListOrder::DueTimeAsc, ListOrder::DueTimeDesc]
            .into_iter()
            .flat_map(|order| [None, Some(cursor)].map(|after| (order, after)))
            .flat_map(|(order, after)| planners.iter().map(move |planner| (order, after, planner)))
        {
            {
                let statement = privacyd::store::list_statement(&filter, order, after, 51, planner);
                let plan = explain_plan(&mut db, backend, &statement).await;
                let context = format!("{}\n{:?}\n{plan}", statement.sql, statement.binds);
                let page: Vec<String> =
                    statement.query().fetch_all(&mut db).await.unwrap().iter().map(|r| r.get("id")).collect();
                assert_eq!(page, expected_page(&rows, &filter, order, after, 51), "wrong rows:\n{context}");
                assert!(!scans_a_table(backend, &plan), "scans the table:\n{context}");
                // Without a state, an address, a search or a creation period, the rows that match are
                // most of the table (an action is half of it, due_before=now nearly all of
                // it): the index must give the order. With one of those, a planner may read
                // that condition's index (a range, or PostgreSQL's trigrams) and sort it: a sort of what matched, not of
                // the table.
                if combination & 0b011_1110 == 0 {
                    assert!(!sorts(backend, &plan), "sorts:\n{context}");
                }
                if planner == Planner::SqliteTrigrams {
                    // The search's few requests come from the trigram index, by their ids.
                    assert!(plan.contains("privacy_requests_email_trigrams VIRTUAL TABLE"), "no trigrams:\n{context}");
                    assert!(plan.contains("USING INDEX sqlite_autoindex_privacy_requests_1 (id=?)"), "{context}");
                } else if filter.state.is_some() && filter.subject_email_key.is_none() {
                    // An index searched by the state (whichever: the state's own in the
                    // list's order, or one leading with the action and the state).
                    let by_state = plan.lines().any(|line| match backend {
                        Backend::Sqlite => line.contains("SEARCH") && line.contains("state=?"),
                        Backend::Postgres => {
                            (line.contains("Index Cond") || line.contains("Recheck Cond")) && line.contains("state = ")
                        }
                    });
                    assert!(by_state, "reads other states:\n{context}");
                }
                checked += 1;
            }
        }
        for &planner in planners.iter().filter(|_| filter.state.is_none()) {
            let statement = privacyd::store::count_statement(&filter, planner);
            let plan = explain_plan(&mut db, backend, &statement).await;
            let context = format!("{}\n{:?}\n{plan}", statement.sql, statement.binds);
            let mut counted: Vec<(String, i64)> = statement
                .query()
                .fetch_all(&mut db)
                .await
                .unwrap()
                .iter()
                .map(|row| (row.get("state"), row.get("n")))
                .collect();
            counted.sort();
            assert_eq!(counted, expected_counts(&rows, &filter), "wrong counts:\n{context}");
            if combination & 0b111_1100 == 0 {
                // Every request, or an action's: the tallies (migration 0021), never the
                // requests themselves.
                assert!(plan.contains("privacy_request_tallies"), "not from the tallies:\n{context}");
                assert!(!plan.contains("privacy_requests"), "reads the requests:\n{context}");
            } else if backend == Backend::Sqlite || combination & 0b000_1100 != 0 {
                // A count of most of the table (these periods, due_before=now: half or more of
                // the rows) reads that much however it is done, and PostgreSQL rightly prefers
                // the table itself, narrower than the five-column index. A count of an address
                // or a search must not read the table. (SQLite is told its index: it never
                // scans.)
                assert!(!scans_a_table(backend, &plan), "scans the table:\n{context}");
            }
            checked += 1;
        }
    }
    // On SQLite the 32 combinations with a search and no address are written both ways.
    let both_ways = if backend == Backend::Sqlite { 32 * 6 + 16 } else { 0 };
    assert_eq!(checked, 128 * 6 + 64 + both_ways);
    db.close().await.unwrap();
    app.stop().await;
}

/// The tallies (migration 0021) answer a count of every request and of each action; they must
/// agree with a count of the rows after every kind of write to the table: creates through the
/// API, state changes (and updates that keep the state), deletes, writers on several
/// connections each moving two requests in one transaction in opposite directions (the
/// pattern that deadlocks counters updated in place), and folds run while they write.
async fn counts_of_every_request_stay_exact_through_changes_deletes_folds_and_concurrent_writers(backend: Backend) {
    const WRITERS: usize = 4;
    const TRANSACTIONS: usize = 40;
    let app = TestApp::spawn(backend).await;
    let now = chrono::Utc::now().timestamp_micros();
    privacyd::testing::stored_requests::load(&app.database_url, 2_000, now).await.unwrap();
    sqlx::any::install_default_drivers();
    let store = Store::connect(&app.database_url, 4).await.unwrap();
    let mut db = connect(&app.database_url, backend).await;
    assert_counts_exact(&store, &mut db, "after the load (folded by the loader)").await;
    assert!(tally_rows(&mut db).await <= 16, "the loader left its tallies unfolded");

    let export = app.create("tallied@example.org", pb::Action::Export, false).await;
    app.create("tallied@example.org", pb::Action::Erase, false).await;
    assert_counts_exact(&store, &mut db, "after two creates through the API").await;
    // The store's own update (every mutable column set at once) on a transition.
    app.client
        .clone()
        .cancel_privacy_request(pb::CancelPrivacyRequestRequest { id: export.id, reason: String::new() })
        .await
        .unwrap();
    assert_counts_exact(&store, &mut db, "after a cancel through the API").await;
    for sql in [
        "UPDATE privacy_requests SET state = 'CANCELLED' WHERE state = 'COMPLETED' AND create_time % 7 = 0",
        // Finished requests only: an open one made an erasure could be a subject's second
        // open erasure, which privacy_requests_one_open refuses.
        "UPDATE privacy_requests SET action = 'ERASE' WHERE action = 'EXPORT' AND create_time % 11 = 0 \
         AND state IN ('COMPLETED', 'DENIED', 'CANCELLED', 'EXPIRED')",
        "DELETE FROM privacy_requests WHERE state = 'EXPIRED' AND create_time % 5 = 0",
    ] {
        sqlx::query(sql).execute(&mut db).await.unwrap();
        assert_counts_exact(&store, &mut db, sql).await;
    }
    // The state is set, to what it was: nothing is tallied (without the triggers' condition
    // the counts would stay right, as -1 and +1, but every update would add two rows).
    let before = tally_rows(&mut db).await;
    sqlx::query("UPDATE privacy_requests SET state = state, update_time = update_time + 1")
        .execute(&mut db)
        .await
        .unwrap();
    assert_eq!(tally_rows(&mut db).await, before, "an update that kept the state was tallied");

    // Writers moving finished requests between two final states (no open request is made, so
    // no one-open-request-per-subject conflict), half of them in each direction, beside folds.
    let ids: Vec<String> =
        sqlx::query_scalar("SELECT id FROM privacy_requests WHERE state IN ('COMPLETED', 'DENIED') ORDER BY id")
            .fetch_all(&mut db)
            .await
            .unwrap();
    assert!(ids.len() >= 2 * WRITERS, "too few finished requests loaded: {}", ids.len());
    let folded = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let writers: Vec<_> = (0..WRITERS)
        .map(|w| {
            let mine: Vec<String> = ids.iter().skip(w).step_by(WRITERS).cloned().collect();
            let url = app.database_url.clone();
            let folded = folded.clone();
            async move {
                let mut db = connect(&url, backend).await;
                // At least TRANSACTIONS each, and on until a fold has run beside them (at most
                // a hundred times as many), so that folds and writes overlap however the
                // machine schedules them.
                for t in 0..TRANSACTIONS * 100 {
                    if t >= TRANSACTIONS && folded.load(std::sync::atomic::Ordering::Relaxed) {
                        break;
                    }
                    let (a, b) = (&mine[t % mine.len()], &mine[(t + 1) % mine.len()]);
                    let (first, second) = if w % 2 == 0 { (a, b) } else { (b, a) };
                    let mut tx = match backend {
                        Backend::Sqlite => db.begin_with("BEGIN IMMEDIATE").await.unwrap(),
                        Backend::Postgres => db.begin().await.unwrap(),
                    };
                    for (id, to) in [(first, "COMPLETED"), (second, "DENIED")] {
                        sqlx::query("UPDATE privacy_requests SET state = $2 WHERE id = $1")
                            .bind(id)
                            .bind(to)
                            .execute(&mut *tx)
                            .await
                            .unwrap();
                    }
                    tx.commit().await.unwrap();
                }
                db.close().await.unwrap();
            }
        })
        .collect();
    let total = |counts: Vec<(State, i64)>| counts.iter().map(|(_, n)| n).sum::<i64>();
    let requests = total(store.count_requests(&ListFilter::default()).await.unwrap());
    // Folded first, so that what the loop folds was written by the writers.
    store.fold_request_tallies().await.unwrap();
    let writing = tokio::spawn(futures::future::join_all(writers));
    while !writing.is_finished() {
        if store.fold_request_tallies().await.unwrap() > 0 {
            folded.store(true, std::sync::atomic::Ordering::Relaxed);
        }
        // The writers move requests between states, so only the total is known while they
        // write; a fold that summed a row twice, or deleted one it had not summed, changes it.
        let counted = total(store.count_requests(&ListFilter::default()).await.unwrap());
        assert_eq!(counted, requests, "the total changed while writers moved requests between states");
    }
    writing.await.unwrap();
    assert!(folded.load(std::sync::atomic::Ordering::Relaxed), "no fold ran while the writers wrote");
    assert_counts_exact(&store, &mut db, "after the writers").await;
    store.fold_request_tallies().await.unwrap();
    assert_counts_exact(&store, &mut db, "after the last fold").await;
    // Folded, or fewer than the hundred rows a fold waits for (then summed as they are).
    assert!(tally_rows(&mut db).await < 100, "the tallies were left unfolded");
    db.close().await.unwrap();
    store.close().await;
    app.stop().await;
}

/// A connection of the test's own, beside privacyd's.
async fn connect(url: &str, backend: Backend) -> sqlx::AnyConnection {
    let mut db = sqlx::AnyConnection::connect(url).await.unwrap();
    if backend == Backend::Sqlite {
        // Beside privacyd's and the other writers' transactions: wait rather than fail.
        sqlx::query("PRAGMA busy_timeout = 60000").execute(&mut db).await.unwrap();
    }
    db
}

async fn tally_rows(db: &mut sqlx::AnyConnection) -> i64 {
    sqlx::query_scalar("SELECT COUNT(*) FROM privacy_request_tallies").fetch_one(db).await.unwrap()
}

/// The store's count of every request and of each action (the tallies) against a count of
/// the rows, with no writer running.
async fn assert_counts_exact(store: &Store, db: &mut sqlx::AnyConnection, when: &str) {
    for action in [None, Some(Action::Export), Some(Action::Erase)] {
        let filter = ListFilter { action, ..ListFilter::default() };
        let tallied: Vec<(String, i64)> = {
            let mut counted: Vec<(String, i64)> = store
                .count_requests(&filter)
                .await
                .unwrap()
                .into_iter()
                .map(|(state, n)| (state.as_str().to_owned(), n))
                .collect();
            counted.sort();
            counted
        };
        let rows: Vec<(String, i64)> = sqlx::query_as(
            "SELECT state, COUNT(*) FROM privacy_requests WHERE $1 = '' OR action = $1 GROUP BY state ORDER BY state",
        )
        .bind(action.map_or("", Action::as_str))
        .fetch_all(&mut *db)
        .await
        .unwrap();
        assert_eq!(tallied, rows, "{when}: counts of {action:?}");
    }
}

/// On a loaded SQLite table, the store reads a search that matches few requests from the
/// trigram index (migration 0020) and one that matches many by walking the list's index; and
/// either way a list (every page) and a count find exactly the requests whose address
/// contains the search, as `LIKE` over the whole table does, for searches holding LIKE's and
/// GLOB's special characters too. Before the trigram index a search was tested on every row
/// of the walk whatever it matched: half a second at a million requests for one subject.
async fn a_rare_search_is_found_through_the_trigram_index(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let now = chrono::Utc::now().timestamp_micros();
    privacyd::testing::stored_requests::load(&app.database_url, LOADED, now).await.unwrap();
    sqlx::any::install_default_drivers();
    let store = Store::connect(&app.database_url, 4).await.unwrap();
    let mut db = sqlx::AnyConnection::connect(&app.database_url).await.unwrap();
    // Its writes wait for privacyd's own (its sweeper, its checkpoints) instead of failing.
    sqlx::query("PRAGMA busy_timeout = 60000").execute(&mut db).await.unwrap();
    // Migration 0022: segments merged sixteen at a time (creates at a million requests spent
    // 15% of the writer's time in merges with FTS5's default of four), a little after each
    // write rather than whole inside one (crisismerge above automerge).
    for (setting, value) in [("automerge", 16), ("crisismerge", 64)] {
        let set: i64 = sqlx::query_scalar("SELECT v FROM privacy_requests_email_trigrams_config WHERE k = $1")
            .bind(setting)
            .fetch_one(&mut db)
            .await
            .unwrap();
        assert_eq!(set, value, "{setting}");
    }
    // Requests renamed so that searches meet the characters LIKE and GLOB treat specially.
    sqlx::query(
        "UPDATE privacy_requests SET subject_email_key = CASE rowid % 4 \
           WHEN 0 THEN 'per_cent%' || rowid || '@x*y.org' WHEN 1 THEN 'a[b]?c' || rowid || '@ex.org' \
           ELSE subject_email_key END WHERE rowid % 97 = 0",
    )
    .execute(&mut db)
    .await
    .unwrap();
    // The trigram index follows updates (and so deletes: the triggers' other half).
    sqlx::query("DELETE FROM privacy_requests WHERE rowid % 89 = 0").execute(&mut db).await.unwrap();
    let cases = [
        ("subject17@", Planner::SqliteTrigrams),
        ("subject1", Planner::SqliteTrigrams),
        ("example.org", Planner::Sqlite),
        ("per_cent%", Planner::SqliteTrigrams),
        ("cent%1", Planner::SqliteTrigrams),
        ("@x*y.org", Planner::SqliteTrigrams),
        ("]?c97", Planner::SqliteTrigrams),
        ("[b]", Planner::Sqlite),
        ("nobody-at-all", Planner::SqliteTrigrams),
    ];
    for (search, expected) in cases {
        let filter = ListFilter {
            subject_email_search: EmailSearch::parse_optional("q", search).unwrap(),
            ..Default::default()
        };
        assert_eq!(store.planner(&filter).await.unwrap(), expected, "{search:?}");
        let wanted: Vec<String> = sqlx::query_scalar(
            "SELECT id FROM privacy_requests WHERE instr(subject_email_key, $1) > 0 ORDER BY create_time DESC, id DESC",
        )
        .bind(search)
        .fetch_all(&mut db)
        .await
        .unwrap();
        if expected == Planner::SqliteTrigrams {
            assert!((wanted.len() as i64) < FEW_MATCHES, "{search:?}: {} matches", wanted.len());
        }
        let mut found = Vec::new();
        let mut cursor = None;
        loop {
            let page = store.list_requests(&filter, ListOrder::CreateTimeDesc, cursor, 500).await.unwrap();
            found.extend(page.iter().map(|r| r.id.to_string()));
            match page.last() {
                Some(last) if page.len() == 500 => {
                    cursor = Some(RequestCursor { key: last.create_time.timestamp_micros(), id: last.id })
                }
                _ => break,
            }
        }
        assert_eq!(found, wanted, "{search:?}");
        let counted: i64 = store.count_requests(&filter).await.unwrap().iter().map(|(_, n)| n).sum();
        let total: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM privacy_requests WHERE instr(subject_email_key, $1) > 0")
                .bind(search)
                .fetch_one(&mut db)
                .await
                .unwrap();
        assert_eq!(counted, total, "{search:?}");
    }
    // The index answers for what the table holds.
    sqlx::query(
        "INSERT INTO privacy_requests_email_trigrams (privacy_requests_email_trigrams) VALUES ('integrity-check')",
    )
    .execute(&mut db)
    .await
    .unwrap();
    db.close().await.unwrap();
    app.stop().await;
}

/// A stored request as the oracle sees it.
/// Per state, how many of `rows` match `filter` (its state ignored), sorted by state: what a
/// count must answer.
fn expected_counts(rows: &[Stored], filter: &ListFilter) -> Vec<(String, i64)> {
    let mut counts = std::collections::BTreeMap::<String, i64>::new();
    let unfiltered = ListFilter { state: None, ..filter.clone() };
    for row in rows.iter().filter(|row| row.matches(&unfiltered)) {
        *counts.entry(row.state.clone()).or_default() += 1;
    }
    counts.into_iter().collect()
}

struct Stored {
    id: String,
    action: String,
    state: String,
    key: String,
    create_time: i64,
    due_time: i64,
}

impl Stored {
    /// Whether the row matches `filter`, by the filters' plain meaning.
    fn matches(&self, filter: &ListFilter) -> bool {
        let micros = |t: chrono::DateTime<chrono::Utc>| t.timestamp_micros();
        filter.action.is_none_or(|a| self.action == a.as_str())
            && filter.state.is_none_or(|s| self.state == s.as_str())
            && filter.subject_email_key.as_ref().is_none_or(|k| &self.key == k)
            && filter.subject_email_search.as_ref().is_none_or(|s| self.key.contains(s.as_str()))
            && filter.created.after.is_none_or(|t| self.create_time >= micros(t))
            && filter.created.before.is_none_or(|t| self.create_time < micros(t))
            && filter.due_before.is_none_or(|t| self.due_time < micros(t))
    }
}

/// The ids of the page `list_statement` must return, from the filters' plain meaning over
/// every row, sorted in memory: the oracle for the statements' index-friendly rewrites (the
/// bounds a deadline implies, the cursor's range, the conditions left out).
fn expected_page(
    rows: &[Stored],
    filter: &ListFilter,
    order: ListOrder,
    after: Option<RequestCursor>,
    limit: usize,
) -> Vec<String> {
    let mut matching: Vec<(i64, &str)> = rows
        .iter()
        .filter(|r| r.matches(filter))
        .map(|r| (if order == ListOrder::CreateTimeDesc { r.create_time } else { r.due_time }, r.id.as_str()))
        .collect();
    matching.sort();
    if order != ListOrder::DueTimeAsc {
        matching.reverse();
    }
    if let Some(cursor) = after {
        let at = (cursor.key, cursor.id.to_string());
        matching.retain(|(key, id)| {
            let row = (*key, id.to_string());
            if order == ListOrder::DueTimeAsc { row > at } else { row < at }
        });
    }
    matching.into_iter().take(limit).map(|(_, id)| id.to_owned()).collect()
}
