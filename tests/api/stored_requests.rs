//! A million stored requests (issue 14, section 2): every statement a list, count or sweep
//! runs must reach its rows through an index on a table large enough that a planner would
//! rather scan it than use an index that does not fit, with PostgreSQL's statistics taken
//! (ANALYZE, as autovacuum would) and SQLite without any (as privacyd leaves it). The figures
//! themselves come from `privacy-bench stored-requests`.

use chrono::TimeZone;
use privacyd::{
    domain::{Action, EmailSearch, ListFilter, ListOrder, RequestId, State, TimeRange},
    store::{FEW_MATCHES, Planner, RequestCursor, Statement, Store},
};
use sqlx::{Connection, Row};

use crate::{
    helpers::{Backend, TestApp},
    on_both_backends,
};

on_both_backends!(every_list_and_count_statement_uses_an_index_on_a_loaded_table);

#[tokio::test]
async fn sqlite_finds_a_rare_search_through_the_trigram_index_and_matches_what_like_matches() {
    a_rare_search_is_found_through_the_trigram_index(Backend::Sqlite).await;
}

/// Requests loaded: enough that walking the table, or sorting all of it, costs the planner
/// more than the right index would, and quick to load (about a second).
const LOADED: u64 = 20_000;

/// The plan of `statement`, one line per node.
async fn plan(db: &mut sqlx::AnyConnection, backend: Backend, statement: &Statement) -> String {
    let (prefix, column) = match backend {
        Backend::Sqlite => ("EXPLAIN QUERY PLAN ", 3),
        Backend::Postgres => ("EXPLAIN ", 0),
    };
    let explain = Statement { sql: format!("{prefix}{}", statement.sql), binds: statement.binds.clone() };
    let rows = explain.query().fetch_all(db).await.unwrap();
    rows.iter().map(|row| row.get::<String, _>(column)).collect::<Vec<_>>().join("\n")
}

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
                let plan = plan(&mut db, backend, &statement).await;
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
            let plan = plan(&mut db, backend, &statement).await;
            let context = format!("{}\n{:?}\n{plan}", statement.sql, statement.binds);
            // A count of most of the table (all, an action, these periods: half or more of the
            // rows) reads that much however it is done, and PostgreSQL rightly prefers the
            // table itself, narrower than the five-column index. A count of an address or a
            // search must not read the table. (SQLite is told its index: it never scans.)
            if backend == Backend::Sqlite || combination & 0b000_1100 != 0 {
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
struct Stored {
    id: String,
    action: String,
    state: String,
    key: String,
    create_time: i64,
    due_time: i64,
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
    let micros = |t: chrono::DateTime<chrono::Utc>| t.timestamp_micros();
    let mut matching: Vec<(i64, &str)> = rows
        .iter()
        .filter(|r| filter.action.is_none_or(|a| r.action == a.as_str()))
        .filter(|r| filter.state.is_none_or(|s| r.state == s.as_str()))
        .filter(|r| filter.subject_email_key.as_ref().is_none_or(|k| &r.key == k))
        .filter(|r| filter.subject_email_search.as_ref().is_none_or(|s| r.key.contains(s.as_str())))
        .filter(|r| filter.created.after.is_none_or(|t| r.create_time >= micros(t)))
        .filter(|r| filter.created.before.is_none_or(|t| r.create_time < micros(t)))
        .filter(|r| filter.due_before.is_none_or(|t| r.due_time < micros(t)))
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
