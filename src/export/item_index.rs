//! The on-disk index an archive is built from. Every item message of every source's spool is a
//! row of an SQLite file beside the spools, so the archive can be written group by group and
//! item by item, in the order the sources sent them, with memory bounded by one message
//! whatever the shape of the data: a source may send an item's fields in many messages (150
//! messages of 1 MiB for one item), millions of groups or items, or long ids, and none of it is
//! gathered in memory (issue 9, item 8). SQLite sorts and groups on disk (`temp_store=FILE`,
//! a 2 MiB page cache).
//!
//! Order (issue 9, item 12): groups in the order their first item arrived, a group's items in
//! the order their first message arrived, and an item's fields in the order they were sent,
//! message after message. The sources are read in the order they are given, so the same
//! spools always give the same archive. This is the order WordPress's exporter pages give
//! (`wp_privacy_process_personal_data_export_page`).
//!
//! Items of different sources are never merged (independent systems number their records
//! independently: two shops' `order-1` are two orders), so item ids are `<source>/<item id>`;
//! a source's messages with the same group and item id are one item.

use std::{collections::HashMap, path::Path, str::FromStr};

use futures::TryStreamExt;
use sqlx::{
    Row as _,
    sqlite::{SqliteConnectOptions, SqlitePool},
};

use super::{archive::SourcePart, spool::read_items};

/// Name/value pairs of an item, in the order the source sent them.
pub type Fields = Vec<(String, String)>;

/// A group as the archive heads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupHeading {
    pub group_id: String,
    /// Of all the labels the group's items carry, the least: any fixed choice would do, and
    /// this one does not depend on the order the sources answered in.
    pub label: String,
    /// Likewise the greatest of the descriptions. An item with none takes its source's
    /// description of the category with the same group id (`Describe`), so a source need not
    /// repeat it on every item (issue 9, item 28).
    pub description: String,
    /// Items in the group, after merging.
    pub items: i64,
}

/// One spooled message of an item, as the archive reads it back.
pub struct ItemRow<'a> {
    /// Set on the first row of a group.
    pub new_group: Option<&'a GroupHeading>,
    /// Set on the first row of an item.
    pub new_item: bool,
    /// `<source>/<item id>`.
    pub item_id: &'a str,
    /// The fields this message carried.
    pub fields: Fields,
}

/// The index, open.
pub struct ItemIndex {
    pool: SqlitePool,
}

/// Rows per INSERT: one statement per item cost a round trip to SQLite's worker thread each,
/// which dominated building large archives.
const ROWS: usize = 500;

/// Bytes of text a batch of rows may hold before it is written, whatever the number of rows:
/// 500 messages of 1 MiB each would otherwise be half a GiB in memory at once. One message may
/// pass it alone; that is bounded by the largest message a source may send.
const BATCH_BYTES: usize = 1 << 20;

/// An item message, ready for its row.
struct Pending {
    group_id: String,
    group_label: String,
    group_description: String,
    item_id: String,
    fields: String,
}

impl ItemIndex {
    /// Loads every source's items into `work_dir/items.db` and orders them.
    pub async fn load(work_dir: &Path, sources: &[SourcePart]) -> anyhow::Result<Self> {
        // Created here, private, for SQLite to open: it would create it readable by all (and
        // its journal files follow the database file's mode).
        let path = work_dir.join("items.db");
        drop(crate::private_files::create_file(&path)?);
        let options = SqliteConnectOptions::from_str(&format!("sqlite://{}", path.display()))?
            .create_if_missing(true)
            .pragma("temp_store", "FILE")
            .pragma("cache_size", "-2048")
            // sqlx reads ahead 50 rows by default; a row is a message, up to 4 MiB, so that
            // alone could be 200 MiB.
            .row_buffer_size(4);
        // Two connections: one walks the items while the other walks the groups beside it.
        let pool: SqlitePool = sqlx::pool::PoolOptions::new().max_connections(2).connect_with(options).await?;
        sqlx::raw_sql(
            "CREATE TABLE items (seq INTEGER PRIMARY KEY, group_id TEXT NOT NULL, group_label TEXT NOT NULL, \
             group_description TEXT NOT NULL, item_id TEXT NOT NULL, fields TEXT NOT NULL)",
        )
        .execute(&pool)
        .await?;
        let mut tx = pool.begin().await?;
        let mut batch = Vec::with_capacity(ROWS);
        let mut batch_bytes = 0;
        for source in sources {
            // A source's categories, by group id: bounded by its Describe answer.
            let categories: HashMap<&str, &crate::domain::DataCategory> =
                source.description.iter().flat_map(|d| &d.categories).map(|c| (c.group_id.as_str(), c)).collect();
            for item in read_items(&source.spool)? {
                let mut item = item?;
                if let Some(category) = categories.get(item.group_id.as_str()) {
                    if item.group_description.is_empty() {
                        item.group_description.clone_from(&category.description);
                    }
                    // The spool labels an unlabelled item's group with its id; the source's own
                    // name for the category reads better.
                    if item.group_label == item.group_id {
                        item.group_label.clone_from(&category.label);
                    }
                }
                let pending = Pending {
                    item_id: format!("{}/{}", source.name, item.item_id),
                    fields: serde_json::to_string(&item.fields)?,
                    group_id: item.group_id,
                    group_label: item.group_label,
                    group_description: item.group_description,
                };
                batch_bytes += pending.group_id.len()
                    + pending.group_label.len()
                    + pending.group_description.len()
                    + pending.item_id.len()
                    + pending.fields.len();
                batch.push(pending);
                if batch.len() == ROWS || batch_bytes >= BATCH_BYTES {
                    insert(&mut tx, &mut batch).await?;
                    batch_bytes = 0;
                }
            }
        }
        insert(&mut tx, &mut batch).await?;
        tx.commit().await?;
        // A group is keyed by its first row (`first`), an item by its group's and its own first
        // rows: ordering by those keys is ordering by arrival, and the walk below reads the
        // keys in index order and each item's rows through `items_order`, in `seq` order,
        // without sorting any row's fields.
        sqlx::raw_sql(
            "CREATE INDEX items_order ON items (group_id, item_id, seq);
             CREATE TABLE groups (first INTEGER PRIMARY KEY, group_id TEXT NOT NULL UNIQUE, label TEXT NOT NULL, \
               description TEXT NOT NULL, items INTEGER NOT NULL DEFAULT 0);
             INSERT INTO groups (first, group_id, label, description) \
               SELECT MIN(seq), group_id, MIN(group_label), MAX(group_description) FROM items GROUP BY group_id;
             CREATE TABLE item_keys (group_first INTEGER NOT NULL, item_first INTEGER NOT NULL, group_id TEXT NOT NULL, \
               item_id TEXT NOT NULL, PRIMARY KEY (group_first, item_first)) WITHOUT ROWID;
             INSERT INTO item_keys SELECT g.first, MIN(i.seq), i.group_id, i.item_id \
               FROM items i JOIN groups g USING (group_id) GROUP BY i.group_id, i.item_id;
             UPDATE groups SET items = (SELECT COUNT(*) FROM item_keys k WHERE k.group_first = groups.first);",
        )
        .execute(&pool)
        .await?;
        Ok(ItemIndex { pool })
    }

    /// Visits every group, in order.
    pub async fn for_each_group(
        &self,
        mut visit: impl FnMut(&GroupHeading) -> anyhow::Result<()>,
    ) -> anyhow::Result<()> {
        let mut groups = self.groups();
        while let Some(group) = groups.try_next().await? {
            visit(&group)?;
        }
        Ok(())
    }

    /// Visits every spooled message of every item, in order, one at a time.
    pub async fn for_each_row(&self, mut visit: impl FnMut(ItemRow<'_>) -> anyhow::Result<()>) -> anyhow::Result<()> {
        // CROSS JOIN keeps SQLite's planner to this order of the loops: item_keys outside, by
        // its primary key, and each item's rows inside, by `items_order`.
        let mut rows = sqlx::query(
            "SELECT k.group_first, k.item_first, k.item_id, i.fields FROM item_keys k \
             CROSS JOIN items i ON i.group_id = k.group_id AND i.item_id = k.item_id \
             ORDER BY k.group_first, k.item_first, i.seq",
        )
        .fetch(&self.pool);
        let mut groups = self.groups();
        let mut group: Option<(i64, GroupHeading)> = None;
        let mut item_first = None;
        let mut item_id = String::new();
        while let Some(row) = rows.try_next().await? {
            let group_first: i64 = row.try_get("group_first")?;
            let this_item: i64 = row.try_get("item_first")?;
            let fields: Fields = serde_json::from_str(row.try_get::<&str, _>("fields")?)?;
            let new_group = group.as_ref().is_none_or(|(first, _)| *first != group_first);
            if new_group {
                // Both walks go in `first` order, so the next group is this row's.
                let heading = groups
                    .try_next()
                    .await?
                    .ok_or_else(|| anyhow::anyhow!("an item of a group that was not indexed"))?;
                group = Some((group_first, heading));
            }
            let new_item = new_group || item_first != Some(this_item);
            if new_item {
                item_first = Some(this_item);
                row.try_get::<&str, _>("item_id")?.clone_into(&mut item_id);
            }
            let heading = group.as_ref().map(|(_, heading)| heading).filter(|_| new_group);
            visit(ItemRow { new_group: heading, new_item, item_id: &item_id, fields })?;
        }
        Ok(())
    }

    /// The groups, in order, as a stream.
    fn groups(&self) -> impl futures::Stream<Item = anyhow::Result<GroupHeading>> + Unpin + '_ {
        use futures::StreamExt;
        sqlx::query("SELECT group_id, label, description, items FROM groups ORDER BY first").fetch(&self.pool).map(
            |row| {
                let row = row?;
                Ok(GroupHeading {
                    group_id: row.try_get("group_id")?,
                    label: row.try_get("label")?,
                    description: row.try_get("description")?,
                    items: row.try_get("items")?,
                })
            },
        )
    }

    pub async fn close(self) {
        self.pool.close().await;
    }
}

async fn insert(tx: &mut sqlx::Transaction<'static, sqlx::Sqlite>, batch: &mut Vec<Pending>) -> anyhow::Result<()> {
    if batch.is_empty() {
        return Ok(());
    }
    let rows = vec!["(?, ?, ?, ?, ?)"; batch.len()].join(", ");
    let sql = format!("INSERT INTO items (group_id, group_label, group_description, item_id, fields) VALUES {rows}");
    let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
    for item in batch.drain(..) {
        query = query
            .bind(item.group_id)
            .bind(item.group_label)
            .bind(item.group_description)
            .bind(item.item_id)
            .bind(item.fields);
    }
    query.execute(&mut **tx).await?;
    Ok(())
}
