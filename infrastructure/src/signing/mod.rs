//! Identity and signature of requests and complaints (Ley 39/2015, arts. 9-12, 16 and 66): the
//! identity provider's ID tokens, one-time codes, the sealed evidence, and the registry.

mod claims;
mod identity_provider;
pub mod registry;
mod service;
mod settings;

pub use claims::{SignatureClaims, VerifyError, verify};
pub use identity_provider::{IdTokenError, IdTokenVerifier};
pub use registry::{REACTOR_NAME, RegistryEntry, RegistryReactor, RegistryRecorder};
pub use service::{IdentityInput, NewSignature, SignableSource, SigningError, SigningService};
pub use settings::{IdentityProviderSettings, SigningSettings};
