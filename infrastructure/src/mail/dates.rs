//! Dates and times as a citizen reads them, in Basque or Spanish, in the council's time zone.

use chrono::{DateTime, Datelike, Timelike, Utc, Weekday};
use chrono_tz::Tz;
use domain::values::Language;

const MONTHS_EU: [&str; 12] = [
    "urtarrilaren",
    "otsailaren",
    "martxoaren",
    "apirilaren",
    "maiatzaren",
    "ekainaren",
    "uztailaren",
    "abuztuaren",
    "irailaren",
    "urriaren",
    "azaroaren",
    "abenduaren",
];

const MONTHS_ES: [&str; 12] = [
    "enero",
    "febrero",
    "marzo",
    "abril",
    "mayo",
    "junio",
    "julio",
    "agosto",
    "septiembre",
    "octubre",
    "noviembre",
    "diciembre",
];

fn weekday(day: Weekday, language: Language) -> &'static str {
    let (eu, es) = match day {
        Weekday::Mon => ("astelehena", "lunes"),
        Weekday::Tue => ("asteartea", "martes"),
        Weekday::Wed => ("asteazkena", "miércoles"),
        Weekday::Thu => ("osteguna", "jueves"),
        Weekday::Fri => ("ostirala", "viernes"),
        Weekday::Sat => ("larunbata", "sábado"),
        Weekday::Sun => ("igandea", "domingo"),
    };
    match language {
        Language::Eu => eu,
        Language::Es => es,
    }
}

/// "2026ko abenduaren 2a, asteazkena, 09:00" or "miércoles, 2 de diciembre de 2026, 09:00".
pub fn date_time(instant: DateTime<Utc>, timezone: Tz, language: Language) -> String {
    let local = instant.with_timezone(&timezone);
    let month = local.month0() as usize;
    let time = format!("{:02}:{:02}", local.hour(), local.minute());
    match language {
        Language::Eu => format!(
            "{}ko {} {}a, {}, {}",
            local.year(),
            MONTHS_EU[month],
            local.day(),
            weekday(local.weekday(), language),
            time
        ),
        Language::Es => format!(
            "{}, {} de {} de {}, {}",
            weekday(local.weekday(), language),
            local.day(),
            MONTHS_ES[month],
            local.year(),
            time
        ),
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    #[test]
    fn dates_read_in_madrid_time_in_both_languages() {
        // 08:00 UTC on 2 December 2026 is 09:00 in Vitoria-Gasteiz.
        let instant = Utc
            .with_ymd_and_hms(2026, 12, 2, 8, 0, 0)
            .single()
            .expect("t");
        let madrid = chrono_tz::Europe::Madrid;
        assert_eq!(
            date_time(instant, madrid, Language::Eu),
            "2026ko abenduaren 2a, asteazkena, 09:00"
        );
        assert_eq!(
            date_time(instant, madrid, Language::Es),
            "miércoles, 2 de diciembre de 2026, 09:00"
        );
    }

    #[test]
    fn summer_time_is_two_hours_ahead_of_utc() {
        let instant = Utc
            .with_ymd_and_hms(2027, 6, 7, 7, 30, 0)
            .single()
            .expect("t");
        assert_eq!(
            date_time(instant, chrono_tz::Europe::Madrid, Language::Es),
            "lunes, 7 de junio de 2027, 09:30"
        );
    }
}
