//! A crash between the booking process's steps leaves a room reserved without its booking; the
//! reconciler releases exactly those reservations and nothing else.

use std::time::Duration;

use chrono::Utc;
use domain::agenda::{Agenda, AgendaCommand, ReserveRoom, agenda_id};
use domain::citizen_request::{CitizenRequest, CitizenRequestCommand, RescheduleAppointment};
use domain::metadata::EventMetadata;
use domain::slot::Slot;
use domain::values::ProcedureCode;
use infrastructure::command_bus::CommandBus;
use infrastructure::reconciler::Reconciler;
use serde_json::Value;
use tests::{booking_body, local_at, spawn_app};
use uuid::Uuid;

#[tokio::test]
async fn orphaned_and_left_behind_reservations_are_released() {
    let app = spawn_app().await;
    let calendar = app.calendar().clone();
    let services = domain::agenda::AgendaServices {
        calendar: std::sync::Arc::new(calendar.clone()),
        catalogue: std::sync::Arc::new(app.state.settings.catalogue().expect("catalogue")),
    };
    let agendas: CommandBus<Agenda> =
        CommandBus::new(app.db.pool.clone(), app.db.personal.clone(), services);
    let requests: CommandBus<CitizenRequest> =
        CommandBus::new(app.db.pool.clone(), app.db.personal.clone(), ());
    let metadata = EventMetadata::system("test", Utc::now(), Uuid::now_v7());
    let procedure = ProcedureCode::parse("PADRON-ALTA").expect("code");
    let reserve = |request_id: Uuid, slot: Slot| {
        let day = calendar.service_day(slot.start);
        let command = AgendaCommand::Reserve(ReserveRoom {
            day,
            request_id,
            procedure: procedure.clone(),
            slot,
            at: Utc::now(),
        });
        (agenda_id(day), command)
    };

    // 1. The process died after reserving, before booking.
    let orphan = Uuid::now_v7();
    let (id, command) = reserve(orphan, Slot::new(local_at(3, 9, 0), 30));
    agendas
        .execute(&id, command, &metadata)
        .await
        .expect("reserve");

    // 2. The process died after moving a booking, before releasing its old room.
    let booked: Value = app
        .book(&booking_body("PADRON-ALTA", local_at(3, 10, 0)))
        .await
        .json()
        .await
        .expect("json");
    let moved_id: Uuid = booked["id"].as_str().expect("id").parse().expect("uuid");
    let new_slot = Slot::new(local_at(4, 12, 0), 30);
    let (id, command) = reserve(moved_id, new_slot);
    let room = agendas
        .execute(&id, command, &metadata)
        .await
        .expect("reserve")
        .aggregate
        .reservations()[0]
        .room;
    requests
        .execute(
            &moved_id.to_string(),
            CitizenRequestCommand::Reschedule(RescheduleAppointment {
                slot: new_slot,
                room,
                at: Utc::now(),
            }),
            &metadata,
        )
        .await
        .expect("reschedule");

    // 3. A healthy booking that must stay.
    let healthy: Value = app
        .book(&booking_body("QUEJA", local_at(5, 9, 0)))
        .await
        .json()
        .await
        .expect("json");

    app.db.wait_for_projections().await;
    assert_eq!(
        app.db
            .count("SELECT count(*) FROM agenda_reservation")
            .await,
        4
    );
    let reconciler = Reconciler {
        pool: app.db.pool.clone(),
        booking: app.state.booking.clone(),
        grace: Duration::ZERO,
        interval: Duration::from_secs(3600),
    };
    assert_eq!(reconciler.run_once().await.expect("pass"), 2);
    app.db.wait_for_projections().await;

    let left: Vec<(Uuid, chrono::DateTime<Utc>)> =
        sqlx::query_as("SELECT request_id, slot_start FROM agenda_reservation ORDER BY slot_start")
            .fetch_all(&app.db.pool)
            .await
            .expect("rows");
    let healthy_id: Uuid = healthy["id"].as_str().expect("id").parse().expect("uuid");
    assert_eq!(
        left,
        vec![(moved_id, new_slot.start), (healthy_id, local_at(5, 9, 0))]
    );
    let reasons: Vec<String> = sqlx::query_scalar(
        "SELECT payload->'RoomReleased'->>'reason' FROM events WHERE event_type = 'RoomReleased' ORDER BY global_position",
    )
    .fetch_all(&app.db.pool)
    .await
    .expect("reasons");
    let mut reasons = reasons;
    reasons.sort();
    assert_eq!(reasons, ["orphaned", "rescheduled"]);
    // A second pass finds nothing more to do.
    assert_eq!(reconciler.run_once().await.expect("pass"), 0);
}
