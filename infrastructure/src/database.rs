//! Connecting to PostgreSQL, creating the database on local defaults, and migrations.

use std::str::FromStr;
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{ConnectOptions, Connection, PgConnection, PgPool};

#[derive(Debug, thiserror::Error)]
pub enum DatabaseError {
    #[error("the database URL is not valid: {0}")]
    Url(#[source] sqlx::Error),
    #[error("cannot reach PostgreSQL at {host}:{port}: {source}")]
    Unreachable {
        host: String,
        port: u16,
        #[source]
        source: sqlx::Error,
    },
    #[error("cannot create database {name}: {source}")]
    Create {
        name: String,
        #[source]
        source: sqlx::Error,
    },
    #[error("migrations failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
}

/// Connects a pool; with `create_if_missing` the database is created first when absent.
pub async fn connect(
    url: &str,
    max_connections: u32,
    create_if_missing: bool,
) -> Result<PgPool, DatabaseError> {
    let options = PgConnectOptions::from_str(url).map_err(DatabaseError::Url)?;
    let options = options.log_statements(tracing::log::LevelFilter::Trace);
    if create_if_missing {
        create_database(&options).await?;
    }
    PgPoolOptions::new()
        .max_connections(max_connections)
        .acquire_timeout(Duration::from_secs(5))
        .connect_with(options.clone())
        .await
        .map_err(|source| DatabaseError::Unreachable {
            host: options.get_host().to_string(),
            port: options.get_port(),
            source,
        })
}

async fn create_database(options: &PgConnectOptions) -> Result<(), DatabaseError> {
    let name = options.get_database().unwrap_or("postgres").to_string();
    let maintenance = options.clone().database("postgres");
    let mut conn = PgConnection::connect_with(&maintenance)
        .await
        .map_err(|source| DatabaseError::Unreachable {
            host: options.get_host().to_string(),
            port: options.get_port(),
            source,
        })?;
    let exists: bool =
        sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)")
            .bind(&name)
            .fetch_one(&mut conn)
            .await
            .map_err(|source| DatabaseError::Create {
                name: name.clone(),
                source,
            })?;
    if !exists {
        let statement = format!("CREATE DATABASE \"{}\"", name.replace('"', "\"\""));
        match sqlx::query(&statement).execute(&mut conn).await {
            Ok(_) => tracing::info!(database = %name, "created the database"),
            // Another process created it in the meantime.
            Err(sqlx::Error::Database(e)) if e.code().as_deref() == Some("42P04") => {}
            Err(source) => return Err(DatabaseError::Create { name, source }),
        }
    }
    let _ = conn.close().await;
    Ok(())
}

/// Applies the embedded migrations (idempotent; sqlx serialises concurrent runs with a lock).
pub async fn migrate(pool: &PgPool) -> Result<(), DatabaseError> {
    sqlx::migrate!("./migrations").run(pool).await?;
    Ok(())
}
