//! Which parts of a stored event are personal data, and their sealed and opened forms.
//!
//! Sealed in the payload: each personal field becomes `{"sealed": "v1...."}`, which no field
//! of an event serialises as, so events written before sealing existed still read as they are.
//! Sealed in the metadata (a map of strings): the network details (address, user agent) leave
//! their plain keys and travel together under `sealed_network`. Opened with an erased key, a
//! field reads `{"erased": true}` (`domain::values::Personal::Erased`) and the metadata says
//! `personal_data: erased` instead of the network details.

use serde_json::{Map, Value, json};

use super::PersonalDataError;
use super::cipher::DataKey;
use super::keys::CaseKey;

/// The aggregate whose events hold a citizen's data; its id is the case's id.
pub const CASE_AGGREGATE: &str = "CitizenRequest";

/// Fields of case events that hold personal data. The signer in signature events and the
/// registry entry stay readable on purpose: they are what the law keeps, and the council's
/// seal over them must still verify.
const PERSONAL_FIELDS: &[(&str, &str)] = &[
    ("AppointmentBooked", "citizen"),
    ("AppointmentCancelled", "reason"),
    ("CaseClosed", "summary"),
    ("DocumentAttached", "file_name"),
];

/// Metadata entries that tell where a request came from: personal data under the GDPR.
const NETWORK_METADATA: &[&str] = &["client_address", "user_agent"];
const SEALED_NETWORK: &str = "sealed_network";
const ERASED_NOTE: &str = "personal_data";

fn field_context(aggregate_id: &str, event_type: &str, field: &str) -> String {
    format!("arreta/personal/v1|{aggregate_id}|{event_type}|{field}")
}

fn network_context(aggregate_id: &str) -> String {
    format!("arreta/personal/v1|{aggregate_id}|metadata|network")
}

fn sealed_text(value: &Value) -> Option<&str> {
    let object = value.as_object()?;
    if object.len() != 1 {
        return None;
    }
    object.get("sealed")?.as_str()
}

/// Whether an event of this type carries personal fields (and so needs its case's key even
/// without network details).
pub fn has_personal_fields(event_type: &str) -> bool {
    PERSONAL_FIELDS.iter().any(|(t, _)| *t == event_type)
}

/// Seals a case event's personal fields and network details under the case's key. With the key
/// erased, network details are dropped and a personal field is refused: nothing new about the
/// citizen may be written once their data is gone.
pub fn seal_event(
    key: &CaseKey,
    aggregate_id: &str,
    event_type: &str,
    payload: &mut Value,
    metadata: &mut Value,
) -> Result<(), PersonalDataError> {
    for (_, field) in PERSONAL_FIELDS.iter().filter(|(t, _)| *t == event_type) {
        let Some(value) = payload
            .get_mut(event_type)
            .and_then(|body| body.get_mut(*field))
        else {
            continue;
        };
        if value.is_null() {
            continue;
        }
        let CaseKey::Open(key) = key else {
            return Err(PersonalDataError::WriteAfterErasure(
                aggregate_id.to_string(),
            ));
        };
        let plain = serde_json::to_vec(value)?;
        let sealed = key.seal(&field_context(aggregate_id, event_type, field), &plain)?;
        *value = json!({ "sealed": sealed });
    }
    let network = take_network(metadata);
    if let (false, CaseKey::Open(key), Some(map)) =
        (network.is_empty(), key, metadata.as_object_mut())
    {
        let plain = serde_json::to_vec(&network)?;
        let sealed = key.seal(&network_context(aggregate_id), &plain)?;
        map.insert(SEALED_NETWORK.into(), Value::String(sealed));
    }
    Ok(())
}

/// Whether an event's metadata carries network details, which need the case's key to seal.
pub fn has_network(metadata: &Value) -> bool {
    NETWORK_METADATA
        .iter()
        .any(|name| metadata.get(*name).is_some())
}

/// Takes the network details out of an event's metadata: what events outside a case carry
/// (a day's agenda, say), since they have no case key to be sealed under and the case's own
/// event already records them.
pub fn take_network(metadata: &mut Value) -> Map<String, Value> {
    let mut taken = Map::new();
    if let Some(map) = metadata.as_object_mut() {
        for name in NETWORK_METADATA {
            if let Some(value) = map.remove(*name) {
                taken.insert((*name).to_string(), value);
            }
        }
    }
    taken
}

/// Whether anything in this stored event is sealed and needs its case's key to read.
pub fn is_sealed(event_type: &str, payload: &Value, metadata: &Value) -> bool {
    metadata.get(SEALED_NETWORK).is_some()
        || PERSONAL_FIELDS
            .iter()
            .filter(|(t, _)| *t == event_type)
            .any(|(_, field)| {
                payload
                    .get(event_type)
                    .and_then(|body| body.get(*field))
                    .and_then(sealed_text)
                    .is_some()
            })
}

/// Opens what `seal_event` sealed; with the key erased, leaves the marks of erasure.
pub fn open_event(
    key: Option<&CaseKey>,
    aggregate_id: &str,
    event_type: &str,
    payload: &mut Value,
    metadata: &mut Value,
) -> Result<(), PersonalDataError> {
    for (_, field) in PERSONAL_FIELDS.iter().filter(|(t, _)| *t == event_type) {
        let Some(value) = payload
            .get_mut(event_type)
            .and_then(|body| body.get_mut(*field))
        else {
            continue;
        };
        let Some(sealed) = sealed_text(value) else {
            continue;
        };
        *value = match key {
            Some(CaseKey::Open(key)) => {
                open_json(key, &field_context(aggregate_id, event_type, field), sealed)?
            }
            Some(CaseKey::Erased) => json!({ "erased": true }),
            None => return Err(PersonalDataError::NoKey(aggregate_id.to_string())),
        };
    }
    let Some(map) = metadata.as_object_mut() else {
        return Ok(());
    };
    let Some(sealed) = map.remove(SEALED_NETWORK) else {
        return Ok(());
    };
    let sealed = sealed.as_str().unwrap_or_default().to_string();
    match key {
        Some(CaseKey::Open(key)) => {
            if let Value::Object(network) = open_json(key, &network_context(aggregate_id), &sealed)?
            {
                map.extend(network);
            }
        }
        Some(CaseKey::Erased) => {
            map.insert(ERASED_NOTE.into(), Value::String("erased".into()));
        }
        None => return Err(PersonalDataError::NoKey(aggregate_id.to_string())),
    }
    Ok(())
}

fn open_json(key: &DataKey, context: &str, sealed: &str) -> Result<Value, PersonalDataError> {
    let plain = key.open(context, sealed)?;
    Ok(serde_json::from_slice(&plain)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn booked() -> (Value, Value) {
        (
            json!({"AppointmentBooked": {
                "procedure": "PADRON-ALTA",
                "citizen": {"name": "Ane Etxeberria", "national_id": "12345678Z",
                            "email": "ane@example.org", "phone": null}
            }}),
            json!({"actor": "citizen", "client_address": "203.0.113.7", "user_agent": "Firefox"}),
        )
    }

    #[test]
    fn sealing_hides_the_citizen_and_the_network_and_opening_gives_them_back() {
        let key = CaseKey::Open(DataKey::generate().expect("random"));
        let (original_payload, original_metadata) = booked();
        let (mut payload, mut metadata) = booked();
        seal_event(
            &key,
            "case-1",
            "AppointmentBooked",
            &mut payload,
            &mut metadata,
        )
        .expect("seals");
        let stored = format!("{payload}{metadata}");
        for secret in [
            "Ane",
            "12345678Z",
            "ane@example.org",
            "203.0.113.7",
            "Firefox",
        ] {
            assert!(!stored.contains(secret), "{secret} is in {stored}");
        }
        assert_eq!(payload["AppointmentBooked"]["procedure"], "PADRON-ALTA");
        assert!(is_sealed("AppointmentBooked", &payload, &metadata));
        open_event(
            Some(&key),
            "case-1",
            "AppointmentBooked",
            &mut payload,
            &mut metadata,
        )
        .expect("opens");
        assert_eq!(payload, original_payload);
        assert_eq!(metadata, original_metadata);
    }

    #[test]
    fn with_the_key_erased_the_fields_read_as_erased() {
        let key = CaseKey::Open(DataKey::generate().expect("random"));
        let (mut payload, mut metadata) = booked();
        seal_event(
            &key,
            "case-1",
            "AppointmentBooked",
            &mut payload,
            &mut metadata,
        )
        .expect("seals");
        open_event(
            Some(&CaseKey::Erased),
            "case-1",
            "AppointmentBooked",
            &mut payload,
            &mut metadata,
        )
        .expect("opens as erased");
        assert_eq!(
            payload["AppointmentBooked"]["citizen"],
            json!({"erased": true})
        );
        assert_eq!(
            metadata,
            json!({"actor": "citizen", "personal_data": "erased"})
        );
    }

    #[test]
    fn an_event_written_before_sealing_reads_as_it_was() {
        let (mut payload, mut metadata) = booked();
        assert!(!is_sealed("AppointmentBooked", &payload, &metadata));
        open_event(
            None,
            "case-1",
            "AppointmentBooked",
            &mut payload,
            &mut metadata,
        )
        .expect("nothing to open");
        assert_eq!((payload, metadata), booked());
    }

    #[test]
    fn a_sealed_value_moved_to_another_case_does_not_open() {
        let key = CaseKey::Open(DataKey::generate().expect("random"));
        let (mut payload, mut metadata) = booked();
        seal_event(
            &key,
            "case-1",
            "AppointmentBooked",
            &mut payload,
            &mut metadata,
        )
        .expect("seals");
        let moved = open_event(
            Some(&key),
            "case-2",
            "AppointmentBooked",
            &mut payload,
            &mut metadata,
        );
        assert!(matches!(moved, Err(PersonalDataError::Cipher(_))));
    }

    #[test]
    fn nothing_personal_is_written_once_the_key_is_erased() {
        let (mut payload, mut metadata) = booked();
        let refused = seal_event(
            &CaseKey::Erased,
            "case-1",
            "AppointmentBooked",
            &mut payload,
            &mut metadata,
        );
        assert!(matches!(
            refused,
            Err(PersonalDataError::WriteAfterErasure(_))
        ));
        let mut access = json!({"DocumentAccessed": {"by": "staff:a1"}});
        let mut metadata = json!({"actor": "staff:a1", "client_address": "10.0.0.1"});
        seal_event(
            &CaseKey::Erased,
            "case-1",
            "DocumentAccessed",
            &mut access,
            &mut metadata,
        )
        .expect("an access record is still written");
        assert_eq!(metadata, json!({"actor": "staff:a1"}));
    }
}
