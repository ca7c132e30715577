use async_trait::async_trait;
use chrono_tz::Tz;
use projections::LoggedEvent;
use projections::report::{ReportCase, change};
use sqlx::{PgConnection, Row};

use super::{ProjectionError, Projector};

/// Reporting figures per service day (see `projections::report`), in the council's time zone.
pub struct ReportProjector {
    pub timezone: Tz,
}

#[async_trait]
impl Projector for ReportProjector {
    fn name(&self) -> &'static str {
        "report"
    }

    fn tables(&self) -> &'static [&'static str] {
        &["report_daily", "report_case"]
    }

    async fn apply(
        &self,
        conn: &mut PgConnection,
        event: &LoggedEvent,
    ) -> Result<(), ProjectionError> {
        let Some((request_id, payload)) = super::citizen_request_event(event)? else {
            return Ok(());
        };
        let case = sqlx::query(
            "SELECT procedure_code, channel, language, service_day FROM report_case WHERE request_id = $1",
        )
        .bind(request_id)
        .fetch_optional(&mut *conn)
        .await?
        .map(|row| -> Result<ReportCase, sqlx::Error> {
            Ok(ReportCase {
                procedure: row.try_get("procedure_code")?,
                channel: row.try_get("channel")?,
                language: row.try_get("language")?,
                service_day: row.try_get("service_day")?,
            })
        })
        .transpose()?;
        let result = change(case.as_ref(), &payload, self.timezone);
        for (key, c) in &result.additions {
            sqlx::query(
                "INSERT INTO report_daily (service_day, procedure_code, channel, language, booked, rescheduled_in, \
                   rescheduled_out, cancelled, no_shows, closed, waiting_days_total) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) \
                 ON CONFLICT (service_day, procedure_code, channel, language) DO UPDATE SET \
                   booked = report_daily.booked + $5, rescheduled_in = report_daily.rescheduled_in + $6, \
                   rescheduled_out = report_daily.rescheduled_out + $7, cancelled = report_daily.cancelled + $8, \
                   no_shows = report_daily.no_shows + $9, closed = report_daily.closed + $10, \
                   waiting_days_total = report_daily.waiting_days_total + $11",
            )
            .bind(key.service_day)
            .bind(&key.procedure)
            .bind(&key.channel)
            .bind(&key.language)
            .bind(c.booked)
            .bind(c.rescheduled_in)
            .bind(c.rescheduled_out)
            .bind(c.cancelled)
            .bind(c.no_shows)
            .bind(c.closed)
            .bind(c.waiting_days_total)
            .execute(&mut *conn)
            .await?;
        }
        if let Some(after) = result.case.filter(|after| Some(after) != case.as_ref()) {
            sqlx::query(
                "INSERT INTO report_case (request_id, procedure_code, channel, language, service_day) \
                 VALUES ($1, $2, $3, $4, $5) ON CONFLICT (request_id) DO UPDATE SET service_day = $5",
            )
            .bind(request_id)
            .bind(&after.procedure)
            .bind(&after.channel)
            .bind(&after.language)
            .bind(after.service_day)
            .execute(&mut *conn)
            .await?;
        }
        Ok(())
    }
}
