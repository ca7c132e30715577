//! A case event as the council's appointment system receives it: a CloudEvents 1.0 JSON
//! document with a stable id, and its HMAC-SHA256 signature.

use chrono::{DateTime, Utc};
use domain::citizen_request::{CitizenRequest, CitizenRequestEvent};
use hmac::{Hmac, Mac};
use serde_json::{Value, json};
use sha2::Sha256;
use uuid::Uuid;

const EVENT_NAMESPACE: Uuid = Uuid::from_u128(0x7765_6268_6f6f_6b2d_6172_7265_7461_0001);

/// The CloudEvents id of a case's event: the same on every attempt and every replay.
pub fn event_id(request_id: Uuid, sequence: i64) -> Uuid {
    Uuid::new_v5(
        &EVENT_NAMESPACE,
        format!("{request_id}/{sequence}").as_bytes(),
    )
}

/// The `type` suffix pushed for an event, or `None` for events the appointment system does not
/// follow (documents, messages...).
pub fn kind(event: &CitizenRequestEvent) -> Option<&'static str> {
    match event {
        CitizenRequestEvent::AppointmentBooked { .. } => Some("booked"),
        CitizenRequestEvent::AppointmentRescheduled { .. } => Some("rescheduled"),
        CitizenRequestEvent::AppointmentCancelled { .. } => Some("cancelled"),
        CitizenRequestEvent::NoShowRecorded { .. } => Some("no_show"),
        CitizenRequestEvent::CaseClosed { .. } => Some("closed"),
        CitizenRequestEvent::DocumentsRequested { .. }
        | CitizenRequestEvent::NotificationSent { .. }
        | CitizenRequestEvent::DocumentAttached { .. }
        | CitizenRequestEvent::DocumentReviewed { .. }
        | CitizenRequestEvent::DocumentAccessed { .. }
        | CitizenRequestEvent::IdentityVerified { .. }
        | CitizenRequestEvent::SignatureRequested { .. }
        | CitizenRequestEvent::SignatureCodeRejected { .. }
        | CitizenRequestEvent::DocumentSigned { .. }
        | CitizenRequestEvent::RegistryEntryMade { .. }
        | CitizenRequestEvent::CallStarted { .. }
        | CitizenRequestEvent::RecordingConsentGiven { .. }
        | CitizenRequestEvent::RecordingConsentDeclined { .. }
        | CitizenRequestEvent::RecordingConsentWithdrawn { .. }
        | CitizenRequestEvent::CallEnded { .. }
        | CitizenRequestEvent::RecordingStarted { .. }
        | CitizenRequestEvent::RecordingStored { .. }
        | CitizenRequestEvent::RecordingFailed { .. }
        | CitizenRequestEvent::RecordingAccessed { .. }
        | CitizenRequestEvent::CaseFileAccessed { .. }
        | CitizenRequestEvent::ManageLinkRequested { .. }
        | CitizenRequestEvent::DocumentPurged { .. }
        | CitizenRequestEvent::RecordingPurged { .. }
        | CitizenRequestEvent::PersonalDataErased { .. } => None,
    }
}

/// The document for `event`, the `sequence`th of request `request_id`, with `case` the request
/// after it.
pub fn document(
    source: &str,
    request_id: Uuid,
    sequence: i64,
    recorded_at: DateTime<Utc>,
    event: &CitizenRequestEvent,
    case: &CitizenRequest,
) -> Option<Value> {
    let kind = kind(event)?;
    let booking = case.booking()?;
    let mut data = json!({
        "request_id": request_id,
        "external_reference": booking.external_reference,
        "status": case.status().as_str(),
        "procedure": booking.procedure.as_str(),
        "start": booking.slot.start,
        "end": booking.slot.end(),
        "room": booking.room,
        "channel": booking.channel.as_str(),
        "language": booking.language.as_str(),
        "citizen": match booking.citizen.known() {
            Some(citizen) => json!({
                "name": citizen.name.as_str(),
                "national_id": citizen.national_id.as_str(),
                "email": citizen.email.as_str(),
                "phone": citizen.phone.as_ref().map(|p| p.as_str()),
            }),
            None => json!({ "erased": true }),
        },
    });
    let extra = match event {
        CitizenRequestEvent::AppointmentRescheduled { previous, .. } => {
            json!({ "previous_start": previous.start })
        }
        CitizenRequestEvent::AppointmentCancelled {
            reason,
            cancelled_by,
            ..
        } => json!({ "reason": reason, "cancelled_by": cancelled_by.as_str() }),
        CitizenRequestEvent::CaseClosed {
            outcome,
            registry_entry,
            ..
        } => json!({ "outcome": outcome.as_str(), "registry_entry": registry_entry }),
        _ => json!({}),
    };
    if let (Some(data), Value::Object(extra)) = (data.as_object_mut(), extra) {
        data.extend(extra);
    }
    Some(json!({
        "specversion": "1.0",
        "id": event_id(request_id, sequence),
        "source": source,
        "type": format!("eus.vitoria-gasteiz.arreta.appointment.{kind}"),
        "subject": request_id,
        "time": recorded_at,
        "datacontenttype": "application/json",
        "sequence": sequence.to_string(),
        "data": data,
    }))
}

/// `sha256=<hex>` of HMAC-SHA256 over the exact body bytes.
pub fn signature(secret: &[u8], body: &[u8]) -> String {
    // HMAC takes a key of any length, so this cannot fail.
    let mut mac = match Hmac::<Sha256>::new_from_slice(secret) {
        Ok(mac) => mac,
        Err(_) => unreachable!("HMAC accepts keys of every length"),
    };
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_signature_is_rfc_4231_hmac_sha256() {
        // RFC 4231 test case 2.
        assert_eq!(
            signature(b"Jefe", b"what do ya want for nothing?"),
            "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn event_ids_are_stable_per_case_and_sequence() {
        let a = Uuid::from_u128(1);
        assert_eq!(event_id(a, 3), event_id(a, 3));
        assert_ne!(event_id(a, 3), event_id(a, 4));
        assert_ne!(event_id(a, 3), event_id(Uuid::from_u128(2), 3));
    }
}
