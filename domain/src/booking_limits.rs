//! How many appointments a citizen may hold at once when booking on their own.
//!
//! Anonymous booking is open to everyone, so a script could fill the whole agenda (what bots did
//! to Spain's immigration appointments). A person needs one appointment per procedure at a time:
//! a citizen booking on their own may hold at most one active appointment per DNI/NIE and
//! procedure, and a configured number per email address. Clerks (010, counter) and the municipal
//! system book on someone's behalf after talking to them, so they are never refused here; their
//! appointments still count against the citizen's own bookings.

use crate::values::{Email, NationalId, ProcedureCode};

/// Who is booking: only citizens on their own are held to the limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Booker {
    /// Anonymous, on the web: the limits apply.
    Citizen,
    /// A clerk or supervisor (010 line, counter): never limited.
    Staff,
    /// The council's appointment system: never limited.
    MunicipalSystem,
}

/// An appointment that is still to happen (booked, not cancelled, closed or missed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActiveAppointment {
    pub national_id: NationalId,
    pub email: Email,
    pub procedure: ProcedureCode,
}

/// The configured limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BookingLimits {
    /// Active appointments one email address may hold at once (at least 1).
    pub max_active_per_email: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LimitRefused {
    #[error("this DNI/NIE already has an active appointment for this procedure")]
    SameProcedure,
    #[error("this email address already holds {max} active appointments")]
    EmailFull { max: u32 },
}

impl BookingLimits {
    /// Whether `booker` may book `procedure` for `national_id` and `email`, given the
    /// appointments already active for that DNI/NIE or that email.
    pub fn check(
        &self,
        booker: Booker,
        national_id: &NationalId,
        email: &Email,
        procedure: &ProcedureCode,
        active: &[ActiveAppointment],
    ) -> Result<(), LimitRefused> {
        if booker != Booker::Citizen {
            return Ok(());
        }
        if active
            .iter()
            .any(|a| &a.national_id == national_id && &a.procedure == procedure)
        {
            return Err(LimitRefused::SameProcedure);
        }
        let same_email = active
            .iter()
            .filter(|a| same_mailbox(&a.email, email))
            .count();
        let max = self.max_active_per_email.max(1);
        if same_email >= usize::try_from(max).unwrap_or(usize::MAX) {
            return Err(LimitRefused::EmailFull { max });
        }
        Ok(())
    }
}

/// Mail servers treat local parts case-insensitively in practice; counting `Ane@x.eus` and
/// `ane@x.eus` apart would let one mailbox hold twice its share.
pub fn same_mailbox(a: &Email, b: &Email) -> bool {
    a.as_str().eq_ignore_ascii_case(b.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nid(text: &str) -> NationalId {
        NationalId::parse(text).expect("DNI")
    }
    fn email(text: &str) -> Email {
        Email::parse(text).expect("email")
    }
    fn procedure(code: &str) -> ProcedureCode {
        ProcedureCode::parse(code).expect("code")
    }
    fn active(id: &str, mail: &str, code: &str) -> ActiveAppointment {
        ActiveAppointment {
            national_id: nid(id),
            email: email(mail),
            procedure: procedure(code),
        }
    }
    const LIMITS: BookingLimits = BookingLimits {
        max_active_per_email: 2,
    };

    #[test]
    fn given_no_appointment_when_a_citizen_books_then_it_is_allowed() {
        assert_eq!(
            LIMITS.check(
                Booker::Citizen,
                &nid("12345678Z"),
                &email("ane@example.org"),
                &procedure("PADRON-ALTA"),
                &[]
            ),
            Ok(())
        );
    }

    #[test]
    fn given_an_active_appointment_for_the_procedure_when_the_same_dni_books_it_again_then_it_is_refused()
     {
        let held = [active("12345678Z", "ane@example.org", "PADRON-ALTA")];
        // Another email does not help: the DNI/NIE is the person.
        assert_eq!(
            LIMITS.check(
                Booker::Citizen,
                &nid("12345678z"),
                &email("other@example.org"),
                &procedure("PADRON-ALTA"),
                &held
            ),
            Err(LimitRefused::SameProcedure)
        );
        // Another procedure is another need.
        assert_eq!(
            LIMITS.check(
                Booker::Citizen,
                &nid("12345678Z"),
                &email("ane@example.org"),
                &procedure("QUEJA"),
                &held
            ),
            Ok(())
        );
    }

    #[test]
    fn given_an_email_at_its_cap_when_another_dni_books_with_it_then_it_is_refused() {
        let held = [
            active("12345678Z", "Ane@Example.org", "PADRON-ALTA"),
            active("87654321X", "ane@example.org", "QUEJA"),
        ];
        assert_eq!(
            LIMITS.check(
                Booker::Citizen,
                &nid("11111111H"),
                &email("ANE@example.org"),
                &procedure("TRIBUTOS"),
                &held
            ),
            Err(LimitRefused::EmailFull { max: 2 })
        );
        assert_eq!(
            LIMITS.check(
                Booker::Citizen,
                &nid("11111111H"),
                &email("jon@example.org"),
                &procedure("TRIBUTOS"),
                &held
            ),
            Ok(())
        );
    }

    #[test]
    fn given_any_limit_reached_when_staff_or_the_municipal_system_book_then_it_is_allowed() {
        let held = [
            active("12345678Z", "ane@example.org", "PADRON-ALTA"),
            active("87654321X", "ane@example.org", "QUEJA"),
        ];
        for booker in [Booker::Staff, Booker::MunicipalSystem] {
            assert_eq!(
                LIMITS.check(
                    booker,
                    &nid("12345678Z"),
                    &email("ane@example.org"),
                    &procedure("PADRON-ALTA"),
                    &held
                ),
                Ok(())
            );
        }
    }

    #[test]
    fn a_cap_of_zero_is_read_as_one() {
        let limits = BookingLimits {
            max_active_per_email: 0,
        };
        let held = [active("12345678Z", "ane@example.org", "PADRON-ALTA")];
        assert_eq!(
            limits.check(
                Booker::Citizen,
                &nid("87654321X"),
                &email("ane@example.org"),
                &procedure("QUEJA"),
                &held
            ),
            Err(LimitRefused::EmailFull { max: 1 })
        );
    }
}
