//! The Pleo External API client: endpoints, auth header, typed responses, error classification,
//! retries and call recording. Nothing here knows about terminals or files.

pub mod calls;
pub mod client;
pub mod endpoint;
pub mod error;
pub mod proxy;
pub mod retry_after;
pub mod types;

pub use calls::{CallLog, CallOutcome, CallRecord};
pub use client::{ApiFuture, ClientSettings, InstallationCall, PleoApi, PleoClient};
pub use endpoint::{Endpoint, EndpointError};
pub use error::{ApiError, NetworkKind};
pub use retry_after::MAX_RETRY_AFTER;
pub use types::{Company, Installation, Introspection};
