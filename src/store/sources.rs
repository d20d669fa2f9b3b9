use std::time::Duration;

use sqlx::{
    Any, Row,
    any::{AnyArguments, AnyRow},
    query::Query,
};

use super::{Store, audit::append_registry_event, db_error, from_micros, is_unique_violation, micros};
use crate::{
    domain::{
        DataSource, Error, NewRegistryEvent, PrivacyRequest, Retention, SourceDescription, SourceEndpoint, SourceName,
        SourceRun,
    },
    keys::Sealed,
};

macro_rules! source_columns {
    () => {
        "name, endpoint, tls, ca_cert_pem, auth_token, call_timeout_ms, enabled, description, create_time, update_time, auth_token_key_id, \
         connect_timeout_ms, stream_idle_timeout_ms, stream_max_duration_ms, max_concurrent_calls"
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
                ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $15, $9, $10, $11, $12, $13, $14)"
            )),
            source,
            self.seal_token(source)?,
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
                 call_timeout_ms = $6, enabled = $7, description = $8, update_time = $9, auth_token_key_id = $10, \
                 connect_timeout_ms = $11, stream_idle_timeout_ms = $12, stream_max_duration_ms = $13, \
                 max_concurrent_calls = $14 WHERE name = $1",
            ),
            source,
            self.seal_token(source)?,
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
        row.as_ref().map(|row| self.source_from_row(row)).transpose()
    }

    /// Every group an erasure of `request` retained, in source then group order, with the label
    /// its source's description gives the group (`None` when the source no longer describes
    /// it): what the subject is told was kept, named as they know it ("Orders", not "orders").
    pub async fn labelled_retentions<'r>(
        &self,
        request: &'r PrivacyRequest,
    ) -> Result<Vec<(&'r SourceRun, &'r Retention, Option<String>)>, Error> {
        let mut kept = Vec::new();
        for run in &request.sources {
            let Some(erasure) = run.erasure.as_ref().filter(|e| !e.retentions.is_empty()) else { continue };
            let description = self.get_source(&run.source).await?.map(|s| s.description);
            for retention in &erasure.retentions {
                let label = description
                    .as_ref()
                    .and_then(|d| d.categories.iter().find(|c| c.group_id == retention.group_id))
                    .map(|c| c.label.clone());
                kept.push((run, retention, label));
            }
        }
        Ok(kept)
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
        rows.iter().map(|row| self.source_from_row(row)).collect()
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

/// Binds $1 to $14: name, endpoint, tls, CA, sealed token, timeout, enabled, description,
/// update time, the token's key id, the connect, stream idle and stream timeouts, the limit on
/// calls in flight.
fn bind_source<'q>(
    query: Query<'q, Any, AnyArguments>,
    source: &DataSource,
    token: Option<Sealed>,
) -> Result<Query<'q, Any, AnyArguments>, Error> {
    let (ciphertext, key_id) = token.map(|t| (t.ciphertext, t.key_id)).unzip();
    Ok(query
        .bind(source.name.as_str().to_owned())
        .bind(source.endpoint.as_str().to_owned())
        .bind(i32::from(source.tls))
        .bind(source.ca_cert_pem.clone())
        .bind(ciphertext)
        .bind(source.call_timeout.as_millis() as i64)
        .bind(i32::from(source.enabled))
        .bind(description_json(&source.description)?)
        .bind(micros(source.update_time))
        .bind(key_id)
        .bind(source.timeouts.connect.as_millis() as i64)
        .bind(source.timeouts.stream_idle.as_millis() as i64)
        .bind(source.timeouts.stream_max.as_millis() as i64)
        .bind(i64::from(source.max_concurrent_calls.get())))
}

/// What a source's token is bound to when encrypted: its source's name, so a ciphertext copied
/// into another source's row does not decrypt there.
fn token_aad(name: &SourceName) -> Vec<u8> {
    format!("privacyd data_sources.auth_token v1\0{name}").into_bytes()
}

fn description_json(d: &SourceDescription) -> Result<String, Error> {
    serde_json::to_string(d).map_err(|e| Error::Internal(format!("serialising a description: {e}")))
}

impl Store {
    /// The source's token encrypted under the current secret key.
    fn seal_token(&self, source: &DataSource) -> Result<Option<Sealed>, Error> {
        let Some(token) = &source.auth_token else { return Ok(None) };
        Ok(Some(self.keys()?.secrets.seal(&token_aad(&source.name), token.as_bytes())?))
    }

    /// A stored token in clear: decrypted, or as an older privacyd stored it (no key id).
    fn open_token(
        &self,
        name: &SourceName,
        stored: Option<String>,
        key_id: Option<String>,
    ) -> Result<Option<String>, Error> {
        let (Some(ciphertext), Some(key_id)) = (stored.clone(), key_id) else { return Ok(stored) };
        let secrets = &self.keys()?.secrets;
        let plain = secrets.open(&Sealed { key_id, ciphertext }, &token_aad(name)).map_err(|e| {
            Error::Internal(format!("the auth_token of data source {name:?} cannot be used: {e} ({})", secrets.file()))
        })?;
        String::from_utf8(plain)
            .map(Some)
            .map_err(|_| Error::Internal(format!("the auth_token of data source {name:?} is not text")))
    }

    /// Encrypts every stored token that is not under the current secret key: tokens an older
    /// privacyd stored in clear, and tokens under a key that has since been rotated out of
    /// first place. Every token is decrypted on the way, so a key missing from the file, or a
    /// ciphertext that was changed or moved to another row, stops the start here instead of
    /// surfacing later as a source that silently lost its token. Returns how many it
    /// re-encrypted. Replicas starting together are safe: each update only replaces the value
    /// it read.
    pub async fn reseal_source_tokens(&self) -> anyhow::Result<usize> {
        let secrets = &self.keys()?.secrets;
        let rows: Vec<(String, String, Option<String>)> = sqlx::query_as(
            "SELECT name, auth_token, auth_token_key_id FROM data_sources WHERE auth_token IS NOT NULL ORDER BY name",
        )
        .fetch_all(&self.pool)
        .await?;
        let mut resealed = 0;
        for (name, stored, key_id) in rows {
            let source =
                SourceName::parse(&name).map_err(|_| anyhow::anyhow!("a stored data source has an invalid name"))?;
            let current = key_id.as_deref() == Some(secrets.current_id());
            // Decrypted even when current: a value that does not decrypt must not wait for
            // its first use.
            let token = self.open_token(&source, Some(stored.clone()), key_id).map_err(|e| anyhow::anyhow!("{e}"))?;
            if current {
                continue;
            }
            let sealed = secrets.seal(&token_aad(&source), token.unwrap_or_default().as_bytes())?;
            sqlx::query(
                "UPDATE data_sources SET auth_token = $2, auth_token_key_id = $3 WHERE name = $1 AND auth_token = $4",
            )
            .bind(name)
            .bind(sealed.ciphertext)
            .bind(sealed.key_id)
            .bind(stored)
            .execute(&self.writer)
            .await?;
            resealed += 1;
        }
        Ok(resealed)
    }

    fn source_from_row(&self, row: &AnyRow) -> Result<DataSource, Error> {
        source_from_row(row, |name, stored, key_id| self.open_token(name, stored, key_id))
    }
}

fn source_from_row(
    row: &AnyRow,
    open_token: impl Fn(&SourceName, Option<String>, Option<String>) -> Result<Option<String>, Error>,
) -> Result<DataSource, Error> {
    let text = |name: &str| row.try_get::<String, _>(name).map_err(db_error);
    let opt_text = |name: &str| row.try_get::<Option<String>, _>(name).map_err(db_error);
    let int = |name: &str| row.try_get::<i64, _>(name).map_err(db_error);
    let corrupt = |what: &str| Error::Internal(format!("stored data source has an invalid {what}"));
    let name = SourceName::parse(&text("name")?).map_err(|_| corrupt("name"))?;
    let auth_token = open_token(&name, opt_text("auth_token")?, opt_text("auth_token_key_id")?)?;
    Ok(DataSource {
        name,
        endpoint: SourceEndpoint::parse(&text("endpoint")?).map_err(|_| corrupt("endpoint"))?,
        tls: int("tls")? != 0,
        ca_cert_pem: opt_text("ca_cert_pem")?,
        auth_token,
        call_timeout: Duration::from_millis(int("call_timeout_ms")? as u64),
        timeouts: crate::domain::SourceTimeouts {
            connect: Duration::from_millis(int("connect_timeout_ms")? as u64),
            stream_idle: Duration::from_millis(int("stream_idle_timeout_ms")? as u64),
            stream_max: Duration::from_millis(int("stream_max_duration_ms")? as u64),
        },
        max_concurrent_calls: u32::try_from(int("max_concurrent_calls")?)
            .ok()
            .and_then(|n| crate::domain::MaxConcurrentCalls::parse(Some(n)).ok())
            .ok_or_else(|| corrupt("max_concurrent_calls"))?,
        enabled: int("enabled")? != 0,
        description: serde_json::from_str(&text("description")?).map_err(|_| corrupt("description"))?,
        create_time: from_micros(int("create_time")?),
        update_time: from_micros(int("update_time")?),
    })
}
