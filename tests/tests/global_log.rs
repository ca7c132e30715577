//! The global log never passes a transaction still in flight, and a projector applies every
//! event exactly once, whatever the commit order and however many instances run.

use std::sync::Arc;

use async_trait::async_trait;
use infrastructure::global_log::read_after;
use infrastructure::projector::{self, ProjectionError, Projector};
use projections::{LogPosition, LoggedEvent};
use sqlx::{Connection, PgConnection};
use tests::{TestDb, test_personal_data};

const INSERT: &str = "INSERT INTO events (aggregate_type, aggregate_id, sequence, event_type, event_version, payload, metadata) \
                      VALUES ('Test', $1, 1, 'Tested', '1.0', '{}', '{}')";

async fn insert(conn: &mut PgConnection, id: &str) {
    sqlx::query(INSERT)
        .bind(id)
        .execute(conn)
        .await
        .expect("insert");
}

/// The readable ids once `count` are readable: a transaction in flight anywhere in the cluster
/// (another test's database included) holds `pg_snapshot_xmin` back for a moment.
async fn ids_when(db: &TestDb, count: usize) -> Vec<String> {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let ids = ids(db).await;
        if ids.len() >= count || std::time::Instant::now() > deadline {
            return ids;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
}

async fn ids(db: &TestDb) -> Vec<String> {
    let mut conn = db.conn().await;
    read_after(&mut conn, &test_personal_data(), LogPosition::START, 100)
        .await
        .expect("read")
        .into_iter()
        .map(|e| e.aggregate_id)
        .collect()
}

#[tokio::test]
async fn an_event_committed_after_a_later_one_is_not_skipped() {
    let db = TestDb::new().await;
    let mut early = db.conn().await;
    let mut late = db.conn().await;
    // `early` takes its transaction id first but writes its event last.
    sqlx::query("BEGIN")
        .execute(&mut early)
        .await
        .expect("begin");
    sqlx::query("SELECT pg_current_xact_id()")
        .execute(&mut early)
        .await
        .expect("xid");
    sqlx::query("BEGIN")
        .execute(&mut late)
        .await
        .expect("begin");
    insert(&mut late, "late").await;
    sqlx::query("COMMIT")
        .execute(&mut late)
        .await
        .expect("commit");
    insert(&mut early, "early").await;

    // `late` is committed, but `early` is still in flight: nothing is readable yet, since
    // reading `late` now would let a checkpoint pass `early`.
    assert!(ids(&db).await.is_empty());

    sqlx::query("COMMIT")
        .execute(&mut early)
        .await
        .expect("commit");
    assert_eq!(ids_when(&db, 2).await, ["early", "late"]);
    let positions: Vec<i64> =
        sqlx::query_scalar("SELECT global_position FROM events ORDER BY aggregate_id")
            .fetch_all(&db.pool)
            .await
            .expect("positions");
    // "early" has the higher position: log order is by transaction, not by position.
    assert!(positions[0] > positions[1]);
}

#[tokio::test]
async fn a_rolled_back_event_never_appears() {
    let db = TestDb::new().await;
    let mut conn = db.conn().await;
    let mut tx = conn.begin().await.expect("begin");
    insert(&mut tx, "ghost").await;
    tx.rollback().await.expect("rollback");
    insert(&mut conn, "real").await;
    assert_eq!(ids_when(&db, 1).await, ["real"]);
}

/// Records each applied event in a table whose primary key refuses a second application.
struct Recorder;

#[async_trait]
impl Projector for Recorder {
    fn name(&self) -> &'static str {
        "test_recorder"
    }

    fn tables(&self) -> &'static [&'static str] {
        &["test_applied"]
    }

    async fn apply(
        &self,
        conn: &mut PgConnection,
        event: &LoggedEvent,
    ) -> Result<(), ProjectionError> {
        sqlx::query("INSERT INTO test_applied (position) VALUES ($1)")
            .bind(event.log.position)
            .execute(conn)
            .await?;
        Ok(())
    }
}

#[tokio::test]
async fn concurrent_writers_and_competing_projector_instances_apply_each_event_once() {
    let db = TestDb::new().await;
    sqlx::query("CREATE TABLE test_applied (position bigint PRIMARY KEY)")
        .execute(&db.pool)
        .await
        .expect("table");
    let writers: Vec<_> = (0..8)
        .map(|w| {
            let pool = db.pool.clone();
            tokio::spawn(async move {
                for i in 0..50 {
                    let mut tx = pool.begin().await.expect("begin");
                    sqlx::query(INSERT)
                        .bind(format!("w{w}-{i}"))
                        .execute(&mut *tx)
                        .await
                        .expect("insert");
                    // Hold some transactions open a little, so commits land out of order.
                    if i % 7 == 0 {
                        tokio::time::sleep(std::time::Duration::from_millis(3)).await;
                    }
                    tx.commit().await.expect("commit");
                }
            })
        })
        .collect();
    let recorder: Arc<dyn Projector> = Arc::new(Recorder);
    let projectors: Vec<_> = (0..3)
        .map(|_| {
            let pool = db.pool.clone();
            let personal = db.personal.clone();
            let recorder = recorder.clone();
            tokio::spawn(async move {
                for _ in 0..200 {
                    projector::catch_up(&pool, &personal, recorder.as_ref(), 16)
                        .await
                        .expect("batch");
                    tokio::time::sleep(std::time::Duration::from_millis(1)).await;
                }
            })
        })
        .collect();
    for w in writers {
        w.await.expect("writer");
    }
    for p in projectors {
        p.await.expect("projector");
    }
    // Drain. A 0 only means nothing is readable yet: xmin is cluster-wide, so another test's
    // transaction in flight can hold our last events back for a moment.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while db.count("SELECT count(*) FROM test_applied").await < 400
        && std::time::Instant::now() < deadline
    {
        if projector::catch_up(&db.pool, &db.personal, recorder.as_ref(), 100)
            .await
            .expect("batch")
            == 0
        {
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
    }
    assert_eq!(db.count("SELECT count(*) FROM test_applied").await, 400);
    assert_eq!(
        db.count(
            "SELECT count(*) FROM events e JOIN test_applied a ON a.position = e.global_position"
        )
        .await,
        400
    );
    assert_eq!(
        db.count(
            "SELECT events_applied FROM projector_checkpoints WHERE projector = 'test_recorder'"
        )
        .await,
        400
    );
}

#[tokio::test]
async fn events_cannot_be_updated_or_deleted() {
    let db = TestDb::new().await;
    let mut conn = db.conn().await;
    insert(&mut conn, "fact").await;
    assert!(
        sqlx::query("UPDATE events SET payload = '{\"x\":1}'")
            .execute(&db.pool)
            .await
            .is_err()
    );
    assert!(
        sqlx::query("DELETE FROM events")
            .execute(&db.pool)
            .await
            .is_err()
    );
    assert_eq!(db.event_count().await, 1);
}
