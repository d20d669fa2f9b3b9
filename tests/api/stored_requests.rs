//! A million stored requests (issue 14, section 2): every statement a list, count or sweep
//! runs must reach its rows through an index on a table large enough that a planner would
//! rather scan it than use an index that does not fit, with PostgreSQL's statistics taken
//! (ANALYZE, as autovacuum would) and SQLite without any (as privacyd leaves it). The figures
//! themselves come from `privacy-bench stored-requests`.

use chrono::TimeZone;
use privacyd::{
    domain::{Action, EmailSearch, ListFilter, ListOrder, RequestId, State, TimeRange},
    store::{RequestCursor, Statement},
};
use sqlx::{Connection, Row};

use crate::{
    helpers::{Backend, TestApp},
    on_both_backends,
};

on_both_backends!(every_list_and_count_statement_uses_an_index_on_a_loaded_table);

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
        for order in [ListOrder::CreateTimeDesc, ListOrder::DueTimeAsc, ListOrder::DueTimeDesc] {
            for after in [None, Some(cursor)] {
                let statement = privacyd::store::list_statement(&filter, order, after, 51, backend == Backend::Sqlite);
                let plan = plan(&mut db, backend, &statement).await;
                let context = format!("{}\n{:?}\n{plan}", statement.sql, statement.binds);
                assert!(!scans_a_table(backend, &plan), "scans the table:\n{context}");
                // Without a state, an address, a search or a creation period, the rows that match are
                // most of the table (an action is half of it, due_before=now nearly all of
                // it): the index must give the order. With one of those, a planner may read
                // that condition's index (a range, or PostgreSQL's trigrams) and sort it: a sort of what matched, not of
                // the table.
                if combination & 0b011_1110 == 0 {
                    assert!(!sorts(backend, &plan), "sorts:\n{context}");
                }
                if filter.state.is_some() && filter.subject_email_key.is_none() {
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
        if filter.state.is_none() {
            let sqlite = backend == Backend::Sqlite;
            let statement = privacyd::store::count_statement(&filter, sqlite);
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
    assert_eq!(checked, 128 * 6 + 64);
    db.close().await.unwrap();
    app.stop().await;
}
