//! The wording of the consent to recording that the citizen is shown, per language. Its version
//! is recorded with every answer (`RecordingConsentGiven` and the others), so a new wording
//! takes a new version and the answers given to the old one still say what was read.

use domain::values::Language;

/// The version of the wording below.
pub const VERSION: &str = "grabazioa-2026-12";

/// The wording in `language`.
pub fn text(language: Language) -> &'static str {
    match language {
        Language::Eu => {
            "Arreta honen berri uzteko, Vitoria-Gasteizko Udalak bideodeia grabatu nahi du (bi aldeen irudia eta soinua). \
             Zuk onartzen baduzu bakarrik hasiko da grabazioa. Gutxienez lau urtez gordeko da, inork aldatu edo ezabatu ezin duen moduan, \
             eta baimendutako langileek bakarrik ikus dezakete, sarbide bakoitzaren arrazoia emanda. \
             Baimena edozein unetan ken dezakezu: grabazioa gelditu egingo da eta deiak aurrera jarraituko du. \
             Onartzen ez baduzu ere, arreta berdin emango zaizu."
        }
        Language::Es => {
            "Para dejar constancia de esta atención, el Ayuntamiento de Vitoria-Gasteiz desea grabar la videollamada (imagen y sonido de ambas partes). \
             La grabación solo empezará si usted lo acepta. Se conservará un mínimo de cuatro años sin que nadie pueda alterarla ni borrarla, \
             y solo podrá verla personal autorizado, que deberá justificar cada acceso. \
             Puede retirar su consentimiento en cualquier momento: la grabación se detendrá y la llamada continuará. \
             Si no lo acepta, se le atenderá igualmente."
        }
    }
}
