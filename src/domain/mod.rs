//! The typed facts every layer shares: who the integration is bound to, which key, where it is
//! kept, and why it is (not) active. Parsed and normalised once, here.

pub mod environment;
pub mod facts;
pub mod ids;
pub mod installation;
pub mod reason;
pub mod scopes;
pub mod text;

pub use environment::Environment;
pub use facts::{ConnectionFacts, KeyId, KeySource};
pub use ids::{CompanyId, IdError, OrganizationId, Subject};
pub use installation::{InstallationErrorCode, InstallationStatus};
pub use reason::{CheckStatus, Reason};
pub use text::{Text, sanitize, sentence};
