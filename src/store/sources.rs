use std::time::Duration;

use sqlx::{
    Any, Row,
    any::{AnyArguments, AnyRow},
    query::Query,
};

use super::{Store, audit::append_registry_event, db_error, from_micros, is_unique_violation, micros};
use crate::domain::{DataSource, Error, NewRegistryEvent, SourceDescription, SourceEndpoint, SourceName};

macro_rules! source_columns {
    () => {
        "name, endpoint, tls, ca_cert_pem, auth_token, call_timeout_ms, enabled, description, create_time, update_time"
    };
}

impl Store {
    /// Adds a source and its `event`, together.
    pub async fn insert_source(&self, source: &DataSource, event: &NewRegistryEvent) -> Result<(), Error> {
        let mut tx = self.begin_write().await?;
        let result = bind_source(
            sqlx::query(concat!(
                "INSERT INTO data_sources (",
                source_columns!(),
                ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $10, $9)"
            )),
            source,
        )?
        .bind(micros(source.create_time))
        .execute(&mut *tx)
        .await;
        match result {
            Ok(_) => {}
            Err(err) if is_unique_violation(&err) => return Err(Error::SourceExists(source.name.to_string())),
            Err(err) => return Err(db_error(err)),
        }
        append_registry_event(&mut tx, event).await?;
        tx.commit().await.map_err(db_error)
    }

    /// Saves every field of an existing source, and its `event`, together.
    pub async fn update_source(&self, source: &DataSource, event: &NewRegistryEvent) -> Result<(), Error> {
        let mut tx = self.begin_write().await?;
        let updated = bind_source(
            sqlx::query(
                "UPDATE data_sources SET endpoint = $2, tls = $3, ca_cert_pem = $4, auth_token = $5, \
                 call_timeout_ms = $6, enabled = $7, description = $8, update_time = $9 WHERE name = $1",
            ),
            source,
        )?
        .execute(&mut *tx)
        .await
        .map_err(db_error)?
        .rows_affected();
        if updated == 0 {
            return Err(Error::SourceNotFound(source.name.to_string()));
        }
        append_registry_event(&mut tx, event).await?;
        tx.commit().await.map_err(db_error)
    }

    pub async fn get_source(&self, name: &SourceName) -> Result<Option<DataSource>, Error> {
        let row = sqlx::query(concat!("SELECT ", source_columns!(), " FROM data_sources WHERE name = $1"))
            .bind(name.as_str().to_owned())
            .fetch_optional(&self.pool)
            .await
            .map_err(db_error)?;
        row.as_ref().map(source_from_row).transpose()
    }

    /// Up to `limit` sources after `after`, by name.
    pub async fn list_sources(&self, after: Option<&str>, limit: u32) -> Result<Vec<DataSource>, Error> {
        let rows = sqlx::query(concat!(
            "SELECT ",
            source_columns!(),
            " FROM data_sources WHERE ($1 IS NULL OR name > $1) ORDER BY name LIMIT $2"
        ))
        .bind(after.map(str::to_owned))
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await
        .map_err(db_error)?;
        rows.iter().map(source_from_row).collect()
    }

    /// Every registered source, by name.
    pub async fn all_sources(&self) -> Result<Vec<DataSource>, Error> {
        let mut all = Vec::new();
        loop {
            let page = self.list_sources(all.last().map(|s: &DataSource| s.name.as_str()), 500).await?;
            let done = page.len() < 500;
            all.extend(page);
            if done {
                return Ok(all);
            }
        }
    }

    /// Removes a source and records `event`, together.
    pub async fn delete_source(&self, name: &SourceName, event: &NewRegistryEvent) -> Result<(), Error> {
        let mut tx = self.begin_write().await?;
        let deleted = sqlx::query("DELETE FROM data_sources WHERE name = $1")
            .bind(name.as_str().to_owned())
            .execute(&mut *tx)
            .await
            .map_err(db_error)?
            .rows_affected();
        if deleted == 0 {
            return Err(Error::SourceNotFound(name.to_string()));
        }
        append_registry_event(&mut tx, event).await?;
        tx.commit().await.map_err(db_error)
    }
}

/// Binds $1 to $9: name, endpoint, tls, CA, token, timeout, enabled, description, update time.
fn bind_source<'q>(
    query: Query<'q, Any, AnyArguments>,
    source: &DataSource,
) -> Result<Query<'q, Any, AnyArguments>, Error> {
    Ok(query
        .bind(source.name.as_str().to_owned())
        .bind(source.endpoint.as_str().to_owned())
        .bind(i32::from(source.tls))
        .bind(source.ca_cert_pem.clone())
        .bind(source.auth_token.clone())
        .bind(source.call_timeout.as_millis() as i64)
        .bind(i32::from(source.enabled))
        .bind(description_json(&source.description)?)
        .bind(micros(source.update_time)))
}

fn description_json(d: &SourceDescription) -> Result<String, Error> {
    serde_json::to_string(d).map_err(|e| Error::Internal(format!("serialising a description: {e}")))
}

fn source_from_row(row: &AnyRow) -> Result<DataSource, Error> {
    let text = |name: &str| row.try_get::<String, _>(name).map_err(db_error);
    let opt_text = |name: &str| row.try_get::<Option<String>, _>(name).map_err(db_error);
    let int = |name: &str| row.try_get::<i64, _>(name).map_err(db_error);
    let corrupt = |what: &str| Error::Internal(format!("stored data source has an invalid {what}"));
    Ok(DataSource {
        name: SourceName::parse(&text("name")?).map_err(|_| corrupt("name"))?,
        endpoint: SourceEndpoint::parse(&text("endpoint")?).map_err(|_| corrupt("endpoint"))?,
        tls: int("tls")? != 0,
        ca_cert_pem: opt_text("ca_cert_pem")?,
        auth_token: opt_text("auth_token")?,
        call_timeout: Duration::from_millis(int("call_timeout_ms")? as u64),
        enabled: int("enabled")? != 0,
        description: serde_json::from_str(&text("description")?).map_err(|_| corrupt("description"))?,
        create_time: from_micros(int("create_time")?),
        update_time: from_micros(int("update_time")?),
    })
}
