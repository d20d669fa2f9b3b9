//! Source tokens are encrypted at rest (AES-256-GCM under `--secret-key-file`, the source name
//! as associated data): the database never holds them in clear, keys rotate without losing
//! them, and a wrong or missing key stops privacyd at start, naming the file.

use std::path::{Path, PathBuf};

use base64::{Engine, engine::general_purpose::STANDARD};
use privacyd::{
    config::Config,
    keys::SecretKeys,
    proto::privacy::v1::{self as pb, data_source_registry_service_client::DataSourceRegistryServiceClient},
    shutdown,
    startup::Application,
};
use rand::RngCore;
use sqlx::{Connection, Row};
use tonic::{Code, transport::Channel};

use crate::{
    helpers::{Backend, TestApp, fresh_postgres_database},
    on_both_backends,
    source_credentials::{Recording, serve_recording},
};

on_both_backends!(
    tokens_are_stored_encrypted_and_still_sent,
    a_token_copied_to_another_source_is_refused,
    keys_rotate_and_clear_tokens_of_older_versions_are_encrypted,
);

const TOKEN: &str = "very-secret-bearer-token-0123456789";

/// (token ciphertext, key id) as stored, read with plain SQL.
async fn raw_token(database_url: &str, name: &str) -> (Option<String>, Option<String>) {
    let mut conn = sqlx::AnyConnection::connect(database_url).await.unwrap();
    let row = sqlx::query("SELECT auth_token, auth_token_key_id FROM data_sources WHERE name = $1")
        .bind(name.to_owned())
        .fetch_one(&mut conn)
        .await
        .unwrap();
    let raw = (row.try_get(0).unwrap(), row.try_get(1).unwrap());
    conn.close().await.unwrap();
    raw
}

async fn execute(database_url: &str, sql: &str) {
    let mut conn = sqlx::AnyConnection::connect(database_url).await.unwrap();
    sqlx::raw_sql(sqlx::AssertSqlSafe(sql.to_owned())).execute(&mut conn).await.unwrap();
    conn.close().await.unwrap();
}

fn register(name: &str, endpoint: &str, token: &str) -> pb::RegisterDataSourceRequest {
    pb::RegisterDataSourceRequest {
        name: name.into(),
        endpoint: endpoint.into(),
        auth_token: token.into(),
        ..Default::default()
    }
}

async fn tokens_are_stored_encrypted_and_still_sent(backend: Backend) {
    sqlx::any::install_default_drivers();
    let app = TestApp::spawn(backend).await;
    let source = Recording::default();
    let endpoint = serve_recording(source.clone()).await;
    let mut registry = app.registry.clone();
    registry.register_data_source(register("crm", &endpoint, TOKEN)).await.unwrap();

    let (stored, key_id) = raw_token(&app.database_url, "crm").await;
    let stored = stored.expect("a token is stored");
    assert!(!stored.contains(TOKEN) && !stored.contains(&STANDARD.encode(TOKEN)), "stored in clear: {stored}");
    let key_file = std::fs::read_to_string(app.data_dir.path().join("secret-key")).unwrap();
    assert_eq!(key_id.as_deref(), Some(SecretKeys::parse(&key_file, "k").unwrap().current_id()));
    assert_file_mode(&app.data_dir.path().join("secret-key"), 0o600);
    if backend == Backend::Sqlite {
        // Nowhere in the database's files either (the log included).
        for file in ["privacyd.db", "privacyd.db-wal"] {
            let bytes = std::fs::read(app.data_dir.path().join(file)).unwrap_or_default();
            assert!(!bytes.windows(TOKEN.len()).any(|w| w == TOKEN.as_bytes()), "the token is in {file}");
        }
    }

    // privacyd still presents it: on a check, and after an update that keeps it.
    registry.check_data_source(pb::CheckDataSourceRequest { name: "crm".into() }).await.unwrap();
    registry
        .update_data_source(pb::UpdateDataSourceRequest {
            name: "crm".into(),
            enabled: Some(false),
            ..Default::default()
        })
        .await
        .unwrap();
    registry.check_data_source(pb::CheckDataSourceRequest { name: "crm".into() }).await.unwrap();
    let seen = source.seen();
    assert_eq!(seen.len(), 3, "{seen:?}");
    assert!(seen.iter().all(|h| *h == format!("Bearer {TOKEN}")), "{seen:?}");
    app.stop().await;
}

async fn a_token_copied_to_another_source_is_refused(backend: Backend) {
    sqlx::any::install_default_drivers();
    let app = TestApp::spawn(backend).await;
    let (a, b) = (Recording::default(), Recording::default());
    let (endpoint_a, endpoint_b) = (serve_recording(a.clone()).await, serve_recording(b.clone()).await);
    let mut registry = app.registry.clone();
    registry.register_data_source(register("alpha", &endpoint_a, "token-of-alpha-0000")).await.unwrap();
    registry.register_data_source(register("bravo", &endpoint_b, "token-of-bravo-0000")).await.unwrap();

    // Someone with write access to the database moves alpha's ciphertext into bravo's row, to
    // have privacyd present alpha's token to bravo's endpoint.
    execute(
        &app.database_url,
        "UPDATE data_sources SET \
            auth_token = (SELECT auth_token FROM data_sources WHERE name = 'alpha'), \
            auth_token_key_id = (SELECT auth_token_key_id FROM data_sources WHERE name = 'alpha') \
         WHERE name = 'bravo'",
    )
    .await;
    let err = registry.check_data_source(pb::CheckDataSourceRequest { name: "bravo".into() }).await.unwrap_err();
    assert_eq!(err.code(), Code::Internal);
    assert!(!err.message().contains("token-of"), "{}", err.message());
    assert_eq!(b.seen(), ["Bearer token-of-bravo-0000"], "bravo saw only its own token, at registration");
    // alpha is untouched.
    registry.check_data_source(pb::CheckDataSourceRequest { name: "alpha".into() }).await.unwrap();
    assert_eq!(a.seen().last().map(String::as_str), Some("Bearer token-of-alpha-0000"));
    app.stop().await;
}

fn random_key() -> String {
    let mut key = [0u8; 32];
    rand::rng().fill_bytes(&mut key);
    STANDARD.encode(key)
}

fn assert_file_mode(path: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(std::fs::metadata(path).unwrap().permissions().mode() & 0o777, mode, "{}", path.display());
}

/// A privacyd over a database and data folder that outlive it, started with the key file
/// holding `keys` (one per line, the first current).
struct Restartable {
    dir: tempfile::TempDir,
    database_url: String,
    token: String,
}

impl Restartable {
    async fn new(backend: Backend) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let database_url = match backend {
            Backend::Sqlite => format!("sqlite://{}/privacyd.db", dir.path().display()),
            Backend::Postgres => fresh_postgres_database().await,
        };
        Restartable { dir, database_url, token: format!("admin-{}", uuid::Uuid::new_v4()) }
    }

    fn key_file(&self) -> PathBuf {
        self.dir.path().join("keys").join("secret-key")
    }

    /// Builds privacyd with the key file holding `keys`: the start-up error, if any.
    async fn build(&self, keys: &[&str]) -> Result<(Application, shutdown::ShutdownTrigger), String> {
        std::fs::create_dir_all(self.key_file().parent().unwrap()).unwrap();
        std::fs::write(self.key_file(), keys.iter().map(|k| format!("{k}\n")).collect::<String>()).unwrap();
        let mut config = Config::defaults();
        config.listen = "127.0.0.1:0".parse().unwrap();
        config.data_dir = self.dir.path().join("data");
        config.database_url = Some(self.database_url.clone());
        config.admin_tokens = vec![self.token.clone()];
        config.secret_key_file = Some(self.key_file());
        let (trigger, shutdown) = shutdown::channel();
        Application::build(config, shutdown).await.map(|app| (app, trigger)).map_err(|e| format!("{e:#}"))
    }

    /// Starts privacyd with `keys`, runs `calls` against its registry, and stops it.
    async fn with<
        F: AsyncFnOnce(
            &mut DataSourceRegistryServiceClient<tonic::service::interceptor::InterceptedService<Channel, Auth>>,
        ),
    >(
        &self,
        keys: &[&str],
        calls: F,
    ) {
        let (app, trigger) = self.build(keys).await.expect("privacyd starts");
        let addr = app.local_addr();
        let server = tokio::spawn(app.run());
        let channel = Channel::from_shared(format!("http://{addr}")).unwrap().connect().await.unwrap();
        let mut registry = DataSourceRegistryServiceClient::with_interceptor(channel, Auth(self.token.clone()));
        calls(&mut registry).await;
        drop(registry);
        trigger.trigger();
        server.await.unwrap().expect("privacyd stops cleanly");
    }
}

#[derive(Clone)]
struct Auth(String);

impl tonic::service::Interceptor for Auth {
    fn call(&mut self, mut request: tonic::Request<()>) -> Result<tonic::Request<()>, tonic::Status> {
        request.metadata_mut().insert("authorization", format!("Bearer {}", self.0).parse().unwrap());
        Ok(request)
    }
}

fn key_id(key: &str) -> String {
    SecretKeys::parse(key, "k").unwrap().current_id().to_owned()
}

async fn keys_rotate_and_clear_tokens_of_older_versions_are_encrypted(backend: Backend) {
    sqlx::any::install_default_drivers();
    let privacyd = Restartable::new(backend).await;
    let source = Recording::default();
    let endpoint = serve_recording(source.clone()).await;
    let (a, b, c) = (random_key(), random_key(), random_key());
    let check = async |registry: &mut DataSourceRegistryServiceClient<_>| {
        registry.check_data_source(pb::CheckDataSourceRequest { name: "crm".into() }).await.unwrap();
    };

    // Key A: the token is stored under A.
    privacyd
        .with(&[&a], async |registry| {
            registry.register_data_source(register("crm", &endpoint, TOKEN)).await.unwrap();
        })
        .await;
    let (under_a, id) = raw_token(&privacyd.database_url, "crm").await;
    assert_eq!(id, Some(key_id(&a)));

    // B first, A kept: the start re-encrypts under B, and the token still works.
    privacyd.with(&[&b, &a], check).await;
    let (under_b, id) = raw_token(&privacyd.database_url, "crm").await;
    assert_eq!(id, Some(key_id(&b)));
    assert_ne!(under_a, under_b);

    // A removed: nothing needs it any more.
    privacyd.with(&[&b], check).await;

    // A key file without the key in use: start-up fails, naming the file and the source, and
    // the stored value is left as it was.
    let err = privacyd.build(&[&c]).await.err().expect("privacyd refuses to start");
    let file = privacyd.key_file().display().to_string();
    assert!(err.contains(&file) && err.contains("crm") && err.contains(&key_id(&b)), "{err}");
    assert!(!err.contains(TOKEN));
    assert_eq!(raw_token(&privacyd.database_url, "crm").await, (under_b.clone(), Some(key_id(&b))));
    // So does a file that is not a key file, or one that is missing.
    let err = privacyd.build(&["not a key"]).await.err().unwrap();
    assert!(err.contains(&file) && err.contains("line 1"), "{err}");
    std::fs::remove_dir_all(privacyd.key_file().parent().unwrap()).unwrap();
    let mut config = Config::defaults();
    config.data_dir = privacyd.dir.path().join("data");
    config.secret_key_file = Some(privacyd.key_file());
    config.database_url = Some(privacyd.database_url.clone());
    config.listen = "127.0.0.1:0".parse().unwrap();
    let err = Application::build(config, shutdown::channel().1).await.err().unwrap();
    assert!(format!("{err:#}").contains(&file), "{err:#}");

    // A token an older privacyd stored in clear is encrypted by the next start.
    execute(
        &privacyd.database_url,
        "UPDATE data_sources SET auth_token = 'legacy-clear-token-0000', auth_token_key_id = NULL WHERE name = 'crm'",
    )
    .await;
    privacyd.with(&[&b], check).await;
    let (stored, id) = raw_token(&privacyd.database_url, "crm").await;
    assert_eq!(id, Some(key_id(&b)));
    assert!(!stored.unwrap().contains("legacy-clear-token"));

    let seen = source.seen();
    assert_eq!(seen.last().map(String::as_str), Some("Bearer legacy-clear-token-0000"));
    assert!(seen[..seen.len() - 1].iter().all(|h| *h == format!("Bearer {TOKEN}")), "{seen:?}");
    assert_eq!(seen.len(), 4, "{seen:?}");
}
