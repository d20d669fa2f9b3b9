//! The SQL connector (`sql-datasource`), specified as tests: it serves a dataset file over
//! privacyd's plugin protocol on SQLite, PostgreSQL and MariaDB, each started by the test.

#[path = "support/mariadb.rs"]
mod mariadb;

/// The throwaway MariaDB the connector's MariaDB tests (and the WordPress tests) run on:
/// installed and started in a temporary folder, answering over TCP and its socket.
#[test]
fn a_throwaway_mariadb_answers_and_goes_away() {
    let db = mariadb::MariaDb::start();
    let url = db.create_database("probe");
    assert_eq!(url, format!("mysql://root@127.0.0.1:{}/probe", db.port()));
    db.sql("CREATE TABLE probe.t (id INT PRIMARY KEY); INSERT INTO probe.t VALUES (41), (1);");
    assert_eq!(db.sql("SELECT SUM(id) FROM probe.t").trim(), "42");
    let dir = db.dir().to_owned();
    drop(db);
    assert!(!dir.exists(), "the server's folder is removed with it");
}
